"""The batch body written as text says exactly what googleapiclient's email.generator version says."""

from __future__ import annotations

import email.parser
import json
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import BatchError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from gmail_mcp.gmail.batchwire import LeanBatchHttpRequest
from gmail_mcp.gmail.transport import authorized_http_factory
from tests.conftest import DISCOVERY


@pytest.fixture
def service() -> Any:
    document = json.loads(DISCOVERY.read_text())
    document["rootUrl"] = "http://127.0.0.1:9/"
    return build_from_document(document, http=authorized_http_factory(Credentials(token="secret"))())


def parsed(text: str) -> tuple[str, dict[str, str], str]:
    """(request line, headers by lower-case name, body) of one application/http payload."""
    request_line, rest = text.split("\n", 1)
    message = email.parser.Parser().parsestr(rest)
    headers = {name.lower(): value for name, value in message.items()}
    return request_line, headers, str(message.get_payload())


def calls(service: Any) -> list[HttpRequest]:
    messages = service.users().messages()
    return [
        messages.get(userId="me", id="18c0ffee", format="metadata", metadataHeaders=["From", "Subject"]),
        messages.modify(userId="me", id="18c0ffee", body={"addLabelIds": ["STARRED"], "removeLabelIds": []}),
        messages.list(userId="me", q='from:"Ann Lee" subject:(a&b) ünïcode', maxResults=50),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["get", "modify", "list"])
def test_each_call_is_written_as_googleapiclient_writes_it(service: Any, index: int) -> None:
    request = calls(service)[index]
    ours = parsed(LeanBatchHttpRequest(batch_uri="http://127.0.0.1:9/batch")._serialize_request(request))
    theirs = parsed(BatchHttpRequest(batch_uri="http://127.0.0.1:9/batch")._serialize_request(request))
    assert ours == theirs
    assert ours[1]["authorization"] == "Bearer secret"


def test_a_header_with_a_line_break_is_refused_not_written(service: Any) -> None:
    request = calls(service)[0]
    request.headers["x-evil"] = "1\r\nAuthorization: Bearer other"
    with pytest.raises(BatchError):
        LeanBatchHttpRequest(batch_uri="http://127.0.0.1:9/batch")._serialize_request(request)


class RecordingHttp:
    """An Http that keeps what it was asked to send and answers 503."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    def request(self, uri: str, method: str = "GET", body: str = "", headers: Any = None, **_: Any) -> Any:
        import httplib2

        self.sent.append((body, dict(headers or {})))
        return httplib2.Response({"status": "503"}), b""


def sent_batch(batch: BatchHttpRequest, requests: list[HttpRequest]) -> list[tuple[dict[str, str], Any]]:
    """The parts of the multipart body `batch` sends: (part headers without Content-ID, the call)."""
    http = RecordingHttp()
    for request in requests:
        batch.add(request)
    with pytest.raises(Exception):  # noqa: B017 - the recording Http answers 503 on purpose
        batch.execute(http=http)
    body, headers = http.sent[0]
    message = email.parser.Parser().parsestr(f"Content-Type: {headers['content-type']}\n\n{body}")
    assert message.is_multipart()
    parts = []
    for part in message.get_payload():  # type: ignore[union-attr]
        part_headers = {k.lower(): v for k, v in part.items() if k.lower() != "content-id"}
        parts.append((part_headers, parsed(str(part.get_payload()))))
    return parts


def test_the_whole_batch_body_carries_the_same_parts(service: Any) -> None:
    ours = sent_batch(LeanBatchHttpRequest(batch_uri="http://127.0.0.1:9/batch"), calls(service))
    theirs = sent_batch(BatchHttpRequest(batch_uri="http://127.0.0.1:9/batch"), calls(service))
    assert ours == theirs
    assert len(ours) == 3

"""Media uploads exactly as googleapiclient sends them: media, multipart and resumable in chunks."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from gmail_mcp.sandbox import Mailbox, SandboxServer

CHUNK = 256 * 1024


def big_message(size: int) -> bytes:
    """A message with an attachment, just over `size` bytes."""
    payload = base64.encodebytes(bytes(range(256)) * (size // 340 + 1)).replace(b"\n", b"\r\n")
    return (
        b"From: you@example.com\r\nTo: bo@example.com\r\nSubject: big file\r\nMessage-ID: <big@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b'--b\r\nContent-Type: application/octet-stream; name="blob.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"--b--\r\n"
    )


SMALL = b"From: you@example.com\r\nTo: bo@example.com\r\nSubject: small\r\nMessage-ID: <s@x>\r\n\r\nhi\r\n"


def media(raw: bytes, *, resumable: bool, mimetype: str = "message/rfc822") -> MediaIoBaseUpload:
    return MediaIoBaseUpload(io.BytesIO(raw), mimetype=mimetype, resumable=resumable, chunksize=CHUNK)


def raw_of(service: Any, message_id: str) -> bytes:
    found = service.users().messages().get(userId="me", id=message_id, format="raw").execute()
    return base64.urlsafe_b64decode(found["raw"])


def test_simple_media_upload_sends(gmail_service: Any, sandbox: SandboxServer) -> None:
    sent = (
        gmail_service.users().messages().send(userId="me", media_body=media(SMALL, resumable=False)).execute()
    )
    assert sent["labelIds"] == ["SENT"]
    assert raw_of(gmail_service, sent["id"]).endswith(b"To: bo@example.com\r\nSubject: small\r\n\r\nhi\r\n")
    stats = sandbox.stats()
    assert (stats["upload_requests"], stats["by_method"]["gmail.users.messages.send"]) == (1, 1)


def test_multipart_upload_carries_metadata_and_the_exact_bytes(gmail_service: Any) -> None:
    inserted = (
        gmail_service.users()
        .messages()
        .insert(
            userId="me", body={"labelIds": ["INBOX", "STARRED"]}, media_body=media(SMALL, resumable=False)
        )
        .execute()
    )
    assert inserted["labelIds"] == ["INBOX", "STARRED"]
    assert raw_of(gmail_service, inserted["id"]) == SMALL


def test_resumable_upload_of_a_large_message_arrives_in_chunks(
    gmail_service: Any, sandbox: SandboxServer
) -> None:
    raw = big_message(1_200_000)
    assert len(raw) > 1_000_000
    request = (
        gmail_service.users()
        .messages()
        .import_(userId="me", body={"labelIds": ["INBOX"]}, media_body=media(raw, resumable=True))
    )
    progress = []
    response = None
    while response is None:
        status, response = request.next_chunk()
        if status:
            progress.append(status.resumable_progress)
    chunks = math.ceil(len(raw) / CHUNK)
    assert progress == [CHUNK * n for n in range(1, chunks)]
    assert raw_of(gmail_service, response["id"]) == raw
    stats = sandbox.stats()
    assert (stats["upload_requests"], stats["by_method"], stats["quota_units"]) == (
        1 + chunks,
        {"gmail.users.messages.import": 1, "gmail.users.messages.get": 1},
        100 + 20,  # 2026 costs: import 100 units (assumed: 4x legacy), get 20
    )


def test_resumable_drafts_and_sends_work_like_simple_ones(gmail_service: Any, mailbox: Mailbox) -> None:
    drafts = gmail_service.users().drafts()
    created = drafts.create(userId="me", body={}, media_body=media(SMALL, resumable=True)).execute()
    assert created["message"]["labelIds"] == ["DRAFT"]
    sent = drafts.send(userId="me", body={"id": created["id"]}).execute()
    assert sent["labelIds"] == ["SENT"]


def test_an_interrupted_resumable_upload_resumes_where_the_server_stopped(sandbox: SandboxServer) -> None:
    raw = big_message(300_000)
    url = sandbox.url + "/upload/gmail/v1/users/me/messages?uploadType=resumable"
    headers = {"Authorization": "Bearer t", "X-Upload-Content-Type": "message/rfc822"}
    start = requests.post(url, json={"labelIds": ["INBOX"]}, headers=headers, timeout=10)
    session = start.headers["Location"]
    first = requests.put(
        session, data=raw[:1000], headers={"Content-Range": f"bytes 0-999/{len(raw)}"}, timeout=10
    )
    assert (first.status_code, first.headers["Range"]) == (308, "bytes=0-999")
    asked = requests.put(session, headers={"Content-Range": f"bytes */{len(raw)}"}, timeout=10)
    assert (asked.status_code, asked.headers["Range"]) == (308, "bytes=0-999")
    rest = requests.put(
        session,
        data=raw[1000:],
        headers={"Content-Range": f"bytes 1000-{len(raw) - 1}/{len(raw)}"},
        timeout=10,
    )
    assert rest.status_code == 200 and rest.json()["labelIds"] == ["INBOX"]


@pytest.mark.parametrize("resumable", [False, True])
def test_media_that_is_not_a_message_is_refused(gmail_service: Any, resumable: bool) -> None:
    request = (
        gmail_service.users()
        .messages()
        .send(userId="me", media_body=media(b"hello", resumable=resumable, mimetype="text/plain"))
    )
    with pytest.raises(HttpError) as info:
        request.execute()
    assert (info.value.resp.status, info.value.reason) == (
        400,
        "Media type 'text/plain' is not supported. Valid media types: [message/*]",
    )


def test_an_upload_over_the_limit_is_413(sandbox: SandboxServer) -> None:
    reply = requests.post(
        sandbox.url + "/upload/gmail/v1/users/me/messages/send?uploadType=resumable",
        headers={"Authorization": "Bearer t", "X-Upload-Content-Length": str(36_700_161)},
        timeout=10,
    )
    assert (reply.status_code, reply.json()["error"]["errors"][0]["reason"]) == (413, "uploadTooLarge")


def test_an_upload_path_needs_an_upload_type(sandbox: SandboxServer) -> None:
    reply = requests.post(
        sandbox.url + "/upload/gmail/v1/users/me/messages/send",
        data=SMALL,
        headers={"Authorization": "Bearer t", "Content-Type": "message/rfc822"},
        timeout=10,
    )
    assert reply.status_code == 400

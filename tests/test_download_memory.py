"""Downloads in little memory: the attachment travels from Gmail's base64 JSON to disk without extra
copies (json.loads and a whole-file decode used to peak at 4x the file).
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import tracemalloc
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest

from gmail_mcp.actions import mailbox
from gmail_mcp.actions.account import Account
from gmail_mcp.config import Paths, Settings
from gmail_mcp.content import mime
from gmail_mcp.errors import UpstreamError
from gmail_mcp.gmail import convert
from tests.conftest import FakeClock
from tests.helpers import make_client
from tests.test_e2e import child_env, spawn


def test_a_download_peaks_well_under_twice_the_attachment_in_memory(tmp_path: Path) -> None:
    """Measured in this process with the sandbox in its own (its memory is not ours): json.loads
    and a whole-file decode used to peak at 4x the file."""
    size = 8 << 20
    data = os.urandom(size)
    digest = hashlib.sha256(data).hexdigest()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "big"
    message.set_content("See attached.")
    message.add_attachment(data, maintype="application", subtype="octet-stream", filename="big.bin")
    (tmp_path / "big.eml").write_bytes(bytes(message))
    del data, message
    argv = [
        sys.executable,
        "-m",
        "gmail_mcp.cli",
        "sandbox",
        "--port",
        "0",
        "--load",
        str(tmp_path / "big.eml"),
    ]
    with spawn(argv, child_env(tmp_path)) as sandbox:
        url = sandbox.wait_for_stderr(r"at (http://127\.0\.0\.1:\d+)")[1]
        paths = Paths(tmp_path / "config", tmp_path / "state", tmp_path / "data")
        settings = Settings.create(paths=paths, api_root=url + "/")
        account = Account(settings, lambda: make_client(SimpleNamespace(url=url), FakeClock()))
        email_id = account.backend().list_messages().messages[0].id
        payload = account.backend().get_message(email_id).payload
        attachment_id = next(
            mailbox.attachment_ref(a) for a in mime.list_attachments(payload) if a.size == size
        )
        mailbox.download(
            account, "download-attachment", email_id, attachment_id, "warm.bin"
        )  # imports, caches
        tracemalloc.start()
        try:
            saved = mailbox.download(account, "download-attachment", email_id, attachment_id, "big.bin")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert hashlib.sha256(saved.path.read_bytes()).hexdigest() == digest
    assert saved.path == paths.downloads / "big.bin" and saved.size == size
    assert peak < 1.6 * size, f"peak {peak / size:.2f}x the attachment"


GMAIL_SHAPED = [
    pytest.param(b'{\n  "size": 5,\n  "data": "aGVsbG8="\n}', b"hello", id="gmail-pretty"),
    pytest.param(b'{"attachmentId": "ANGj", "size": 5, "data": "aGVsbG8"}', b"hello", id="unpadded"),
    pytest.param(b'{"data":"_-8","size":2}', b"\xff\xef", id="url-alphabet-first"),
    pytest.param(b'{"size": 0}', b"", id="empty-without-data"),
    pytest.param(b'{"size": 1, "data": "YQ\\u003d\\u003d"}', b"a", id="escaped-padding"),
    pytest.param(b'{"x": {"data": "Yg=="}, "data": "YQ=="}', b"a", id="nested-data-first"),
    pytest.param(b'{"note": "\\"data\\": \\"Yg==\\"", "data": "YQ=="}', b"a", id="data-inside-a-string"),
]


@pytest.mark.parametrize(("body", "expected"), GMAIL_SHAPED)
def test_attachment_bodies_decode_to_the_file_whatever_their_json_shape(body: bytes, expected: bytes) -> None:
    assert b"".join(convert.attachment_pieces(body)) == expected


def test_a_large_attachment_body_decodes_piece_by_piece_to_the_same_bytes() -> None:
    data = os.urandom(3 * convert.DECODE_PIECE + 7)
    body = b'{\n  "size": %d,\n  "data": "%s"\n}' % (len(data), base64.urlsafe_b64encode(data).rstrip(b"="))
    pieces = list(convert.attachment_pieces(body))
    assert len(pieces) > 3 and b"".join(pieces) == data


def test_an_attachment_body_that_is_not_json_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        list(convert.attachment_pieces(b"<html>502</html>"))

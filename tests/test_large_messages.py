"""Large messages and drafts go through Gmail's upload endpoint, never as JSON over 4 MiB.

The sandbox refuses JSON bodies over 5 MiB with 413, as Gmail does; every draft and send whose
base64 JSON would exceed 4 MiB must reach the upload URL (multipart up to 5 MB, resumable above).
"""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest

from gmail_mcp.content import mime
from gmail_mcp.gmail.outbox import UPLOAD_ABOVE, message_request
from tests.helpers import make_client, reset_stats
from tests.mcp_harness import Harness

MB = 1_000_000


def with_attachment(subject: str, size: int, to: str = "bo@example.com") -> bytes:
    data = os.urandom(size)
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (
        f"From: you@example.com\r\nTo: {to}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe file.\r\n"
        '--b\r\nContent-Type: application/octet-stream; name="blob.bin"\r\n'
        'Content-Disposition: attachment; filename="blob.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + encoded
        + b"--b--\r\n"
    )


@pytest.fixture
def client(sandbox: Any, fake_clock: Any) -> Any:
    return make_client(sandbox, fake_clock)


@pytest.mark.parametrize(
    ("size", "how"),
    [(1 * MB, "json"), (2_900_000, "multipart"), (3_500_000, "multipart"), (4 * MB, "resumable")],
)
def test_the_request_is_json_below_4_mib_encoded_and_an_upload_above(size: int, how: str) -> None:
    raw = with_attachment("x", size)
    request = message_request(raw, {"threadId": "t"}, None)
    media = request.get("media_body")
    found = "json" if media is None else "resumable" if media.resumable() else "multipart"
    assert found == how
    if media is None:
        assert len(request["body"]["raw"]) + 100 < UPLOAD_ABOVE
    else:
        assert request["body"] == {"threadId": "t"} and media.size() == len(raw)


def test_a_7_mb_draft_is_created_through_the_upload_url_with_0_errors(
    sandbox: Any, mailbox: Any, client: Any
) -> None:
    raw = with_attachment("Seven megabytes", 7 * MB)
    reset_stats(sandbox)
    draft = client.create_draft(raw)
    stats = sandbox.stats()
    assert stats["upload_requests"] >= 2 and stats["by_method"] == {"gmail.users.drafts.create": 1}
    assert mailbox.draft(draft.id).raw.endswith(raw)  # the bytes arrived whole (after our reference)


def test_a_4_7_mb_send_is_one_multipart_upload_request(sandbox: Any, client: Any) -> None:
    reset_stats(sandbox)
    client.send_message(with_attachment("Almost five megabytes", 3_500_000))  # 4.7 MB once in MIME
    stats = sandbox.stats()
    assert (stats["requests"], stats["upload_requests"], stats["sent"]) == (1, 1, 1)


@pytest.mark.anyio
async def test_a_7_mb_draft_is_updated_with_its_attachment_kept_through_the_upload_url(
    harness: Harness, fake_clock: Any
) -> None:
    client = make_client(harness.sandbox, fake_clock)
    created = client.create_draft(with_attachment("Before", 7 * MB))
    before = mime.list_attachments(client.get_draft(created.id).message.payload)  # type: ignore[attr-defined]
    reset_stats(harness.sandbox)
    async with harness.client(enhanced=True) as session:
        updated = await session.ok("update-draft", {"draft_id": created.id, "subject": "After"})
    stats = harness.sandbox.stats()
    draft = client.get_draft(created.id)
    after = mime.list_attachments(draft.message.payload)  # type: ignore[attr-defined]
    assert updated["draft_id"] == created.id and draft.message.subject == "After"
    assert (
        [(a.filename, a.size) for a in after]
        == [(a.filename, a.size) for a in before]
        == [("blob.bin", 7 * MB)]
    )
    assert stats["upload_requests"] >= 2 and stats["by_method"]["gmail.users.drafts.update"] == 1
    assert stats["faults_injected"] == 0


def test_gmails_413_says_what_the_limits_are_not_35_mb_at_most(sandbox: Any, client: Any) -> None:
    from gmail_mcp.errors import InvalidParamsError
    from tests.helpers import inject

    inject(
        sandbox,
        status=413,
        method="gmail.users.drafts.create",
        message="Request payload size exceeds the limit",
    )
    with pytest.raises(InvalidParamsError) as raised:
        client.create_draft(with_attachment("Small", 1000))
    assert "Request payload size exceeds the limit" in raised.value.message
    assert "35 MB at most" not in raised.value.message

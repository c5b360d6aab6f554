"""MCP resources: emails, conversations, attachments and labels by URI, with completions."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, BlobResourceContents, ResourceTemplateReference, TextResourceContents

from gmail_mcp.sandbox import Mailbox
from gmail_mcp.surface.names import Tool
from tests import documents
from tests.helpers import control, reset_stats

pytestmark = pytest.mark.anyio

MESSAGES = "gmail://{account}/messages/{id}"
THREADS = "gmail://{account}/threads/{id}"
ATTACHMENTS = "gmail://{account}/messages/{id}/attachments/{part}"
LABELS = "gmail://{account}/labels/{label}"
CSV = b"item,cost\nvenue,4200\ncatering,1800\n"


def files_email(mailbox: Mailbox) -> str:
    return mailbox.insert_raw(
        documents.message_with(
            ("costs.csv", "text/csv", CSV),
            ("invoice.pdf", "application/pdf", documents.pdf(["Invoice 2026-118", "Total 4,180.00 EUR"])),
            ("chart.png", "image/png", documents.png()),
            ("archive.zip", "application/zip", b"PK\x03\x04" + b"\x00" * 40),
        )
    )


async def read(client: Any, uri: str) -> Any:
    result = await client.client.read_resource(uri)
    (contents,) = result.contents
    return contents


async def templates(client: Any) -> set[str]:
    return {t.uri_template for t in (await client.client.list_resource_templates()).resource_templates}


async def test_templates_follow_the_tools_that_read_the_same_thing(harness: Any) -> None:
    async with harness.client(enhanced=True) as enhanced:
        assert await templates(enhanced) == {MESSAGES, THREADS, ATTACHMENTS, LABELS}
    async with harness.client() as core:
        assert await templates(core) == {MESSAGES, LABELS}
    async with harness.client(enhanced=True, tools=frozenset({Tool.READ_EMAIL})) as chosen:
        assert await templates(chosen) == {MESSAGES}


async def test_an_email_reads_as_the_same_fenced_text_the_tool_gives(harness: Any, mailbox: Mailbox) -> None:
    email_id = files_email(mailbox)
    async with harness.client(enhanced=True) as client:
        contents = await read(client, f"gmail://me/messages/{email_id}")
        tool = await client.call(Tool.READ_EMAIL, {"email_id": email_id, "max_chars": 100_000})
    assert isinstance(contents, TextResourceContents) and contents.mime_type == "text/plain"
    assert contents.text.startswith("<<<UNTRUSTED ") and contents.text.endswith(">>>")

    def same(text: str) -> str:  # Gmail hands out new attachment ids per fetch; fences draw new tags
        tag = text.split()[1].rstrip(":")
        return re.sub(r" id=\S+", " id=…", text.replace(tag, "TAG"))

    assert same(contents.text) == same(tool.content[0].text)


async def test_a_conversation_reads_oldest_first(harness: Any, mailbox: Mailbox) -> None:
    thread_id = next(m.thread_id for m in mailbox.all_messages() if len(mailbox.thread(m.thread_id)) == 10)
    async with harness.client(enhanced=True) as client:
        contents = await read(client, f"gmail://me/threads/{thread_id}")
    assert "messages=10" in contents.text and contents.text.count("--- ") >= 10


async def test_csv_pdf_and_png_attachments_are_readable_by_uri(harness: Any, mailbox: Mailbox) -> None:
    email_id = files_email(mailbox)
    async with harness.client(enhanced=True) as client:
        listed = (await client.ok(Tool.READ_EMAIL, {"email_id": email_id}))["attachments"]
        parts = {a["filename"]: a["part_id"] for a in listed}
        csv = await read(client, f"gmail://me/messages/{email_id}/attachments/costs.csv")
        pdf = await read(client, f"gmail://me/messages/{email_id}/attachments/{parts['invoice.pdf']}")
        png = await read(client, f"gmail://me/messages/{email_id}/attachments/{listed[2]['attachment_id']}")
    assert isinstance(csv, TextResourceContents) and isinstance(pdf, TextResourceContents)
    assert "item,cost\nvenue,4200\ncatering,1800" in csv.text and "filename: costs.csv" in csv.text
    assert "--- page 2 of 2 ---\nTotal 4,180.00 EUR" in pdf.text
    assert pdf.text.startswith("<<<UNTRUSTED ")
    assert isinstance(png, BlobResourceContents)
    assert (base64.b64decode(png.blob), png.mime_type) == (documents.png(), "image/png")


async def test_a_file_that_is_not_text_is_a_blob_the_client_can_save(harness: Any, mailbox: Mailbox) -> None:
    email_id = files_email(mailbox)
    async with harness.client(enhanced=True) as client:
        blob = await read(client, f"gmail://me/messages/{email_id}/attachments/archive.zip")
    assert isinstance(blob, BlobResourceContents)
    assert (base64.b64decode(blob.blob), blob.mime_type) == (
        b"PK\x03\x04" + b"\x00" * 40,
        "application/octet-stream",
    )


async def test_an_attachment_read_by_uri_then_paged_by_the_tool_is_fetched_once(
    harness: Any, mailbox: Mailbox, sandbox: Any
) -> None:
    email_id = files_email(mailbox)
    async with harness.client(enhanced=True) as client:
        await read(client, f"gmail://me/messages/{email_id}/attachments/invoice.pdf")
        reset_stats(sandbox)
        again = await client.ok(Tool.READ_ATTACHMENT, {"email_id": email_id, "attachment_id": "invoice.pdf"})
    assert again["content"].startswith("--- page 1 of 2 ---")
    assert control(sandbox, "/__sandbox/stats", method="GET")["requests"] == 0


async def test_a_label_lists_its_newest_emails(harness: Any) -> None:
    async with harness.client() as client:
        by_name = await read(client, "gmail://me/labels/Travel%20Plans")
        tool = await client.ok(Tool.SEARCH_EMAILS, {"query": 'label:"Travel Plans"'})
    assert re.findall(r"^([0-9a-f]{16}) ", by_name.text, re.M) == [e["id"] for e in tool["emails"]]


@pytest.mark.parametrize(
    ("uri", "error_code"),
    [
        ("gmail://someone/messages/18c0ffee0000abcd", "NOT_FOUND"),
        ("gmail://me/messages/18c0ffee0000abcd", "NOT_FOUND"),
        ("gmail://me/labels/No%20such%20label", "NOT_FOUND"),
        ("gmail://me/messages/%20", "INVALID_PARAMS"),
    ],
)
async def test_a_failed_read_is_a_protocol_error_carrying_the_error_object(
    harness: Any, uri: str, error_code: str
) -> None:
    async with harness.client(enhanced=True) as client:
        with pytest.raises(MCPError) as failed:
            await client.client.read_resource(uri)
    assert failed.value.code == INVALID_PARAMS
    assert failed.value.data["error_code"] == error_code and failed.value.data["uri"] == uri
    assert "Traceback" not in failed.value.message


async def test_an_unknown_uri_or_one_of_a_tool_not_offered_is_unknown(harness: Any, mailbox: Mailbox) -> None:
    email_id = files_email(mailbox)
    async with harness.client() as core:  # no attachment tool in core mode, so no attachment resource
        for uri in (f"gmail://me/messages/{email_id}/attachments/costs.csv", "file:///etc/passwd"):
            with pytest.raises(MCPError) as failed:
                await core.client.read_resource(uri)
            assert failed.value.code == INVALID_PARAMS and "Unknown resource" in failed.value.message


async def test_completions_offer_accounts_labels_and_an_emails_attachments(
    harness: Any, mailbox: Mailbox
) -> None:
    email_id = files_email(mailbox)
    async with harness.client(enhanced=True) as client:
        complete = client.client.complete
        account = await complete(ResourceTemplateReference(uri=MESSAGES), {"name": "account", "value": "m"})
        labels = await complete(ResourceTemplateReference(uri=LABELS), {"name": "label", "value": "wo"})
        parts = await complete(
            ResourceTemplateReference(uri=ATTACHMENTS), {"name": "part", "value": ""}, {"id": email_id}
        )
        nothing = await complete(ResourceTemplateReference(uri="gmail://{x}"), {"name": "label", "value": ""})
    assert account.completion.values == ["me"]
    assert labels.completion.values == ["Work", "Work/Projects"]
    assert parts.completion.values == ["1", "2", "3", "4"]
    assert nothing.completion.values == []

"""Attachments the model reads, over IMAP (a server that is not Gmail): the tool and the resource."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import TextResourceContents

from gmail_mcp.surface.names import Tool
from tests import documents
from tests.imap.conftest import ImapHarness, raw_client
from tests.imap.dovecot import Account
from tests.imap.test_dovecot_tools import find

pytestmark = pytest.mark.anyio


async def test_a_csv_and_a_pdf_read_over_imap_by_tool_and_by_uri(
    imap_harness: ImapHarness, imap_server: Account
) -> None:
    raw = documents.message_with(
        ("costs.csv", "text/csv", "item,cost\nCafé,4.50\n".encode("latin-1")),
        ("offer.pdf", "application/pdf", documents.pdf(["Offer 77: 3 days, 40 people"])),
        subject="Offer files",
        charset="iso-8859-1",
    )
    with raw_client(imap_server) as client:
        client.append("INBOX", raw)
    async with imap_harness.client(enhanced=True) as mcp:
        email_id = (await find(mcp, "subject:offer"))["id"]
        csv = await mcp.ok(Tool.READ_ATTACHMENT, {"email_id": email_id, "attachment_id": "costs.csv"})
        pdf = (
            await mcp.client.read_resource(f"gmail://me/messages/{email_id}/attachments/offer.pdf")
        ).contents[0]
    assert csv["content"] == "item,cost\nCafé,4.50"
    assert isinstance(pdf, TextResourceContents)
    assert "--- page 1 of 1 ---\nOffer 77: 3 days, 40 people" in pdf.text


async def test_imap_ids_are_opaque_in_resource_uris(imap_harness: ImapHarness) -> None:
    async with imap_harness.client(enhanced=True) as mcp:
        invoice: dict[str, Any] = await find(mcp, "subject:invoice")
        uri = f"gmail://me/messages/{invoice['id'].replace('/', '%2F')}"
        contents = (await mcp.client.read_resource(uri)).contents[0]
    assert isinstance(contents, TextResourceContents) and "Rechnung März.pdf" in contents.text

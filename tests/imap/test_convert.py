"""FETCH answers -> models: what a hostile message can make a server answer never fails a list."""

from __future__ import annotations

from imapclient.response_types import BodyData

from gmail_mcp.imap.convert import first_text, structure_has_attachments


def test_an_odd_bodystructure_gives_no_snippet_rather_than_a_failed_list() -> None:
    odd = BodyData.create((b"TEXT",))  # a leaf missing every field after its type
    assert first_text(odd) is None and structure_has_attachments(odd) is False
    assert first_text(None) is None

"""Links in real HTML mail survive rendering, inline where they stood (issue 15), on the shared corpus.

Every `<a href>` with an http(s) target counts, before any hiding rule: a rule that hides text
must not lose a link a reader could click. Skipped when the corpus is absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from gmail_mcp.content import mime
from gmail_mcp.content.htmlmd import html_to_markdown
from gmail_mcp.content.mimetree import is_attachment, part_charset

SHARED = Path(os.environ.get("GMAIL_MCP_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CORPUS = SHARED / "corpus" / "mail-parser"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no shared corpus at {CORPUS}")


def html_bodies() -> list[tuple[str, str, bool]]:
    """(message, HTML, rendered) for every distinct inline text/html part of the corpus; rendered:
    read-email's default format shows this message's HTML (not its text/plain alternative)."""
    found: dict[str, tuple[str, bool]] = {}
    for path in sorted(CORPUS.glob("*.eml")) if CORPUS.is_dir() else []:
        root = mime.parse_rfc822(path.read_bytes())
        rendered = mime.extract_body(root).content_type == "markdown"
        for part in root.walk():
            if part.mime_type == "text/html" and part.data and not is_attachment(part):
                html = mime.decode_bytes(part.data, part_charset(part))
                found.setdefault(html, (path.name, rendered))
    return [(name, html, rendered) for html, (name, rendered) in found.items()]


def links(html: str) -> list[LexborNode]:
    return [
        a
        for a in LexborHTMLParser(html).css("a[href]")
        if (a.attributes.get("href") or "").strip().lower().startswith(("http://", "https://"))
    ]


def href(anchor: LexborNode) -> str:
    return (anchor.attributes.get("href") or "").strip()


def kept_inline(url: str, markdown: str) -> bool:
    """`[label](url)`, `<url>` (a link whose text is its URL), or `[label][n]` with `[n]: url` (a URL
    several links share is written once)."""
    if any(form in markdown for form in (f"]({url})", f"](<{url}>)", f"<{url}>")):
        return True
    definition = re.search(rf"^\[(\d+)\]: {re.escape(url)}$", markdown, re.M)
    return definition is not None and f"][{definition.group(1)}]" in markdown


BODIES = html_bodies()


def test_links_of_rendered_html_bodies_are_kept_inline() -> None:
    total = kept = 0
    for _, html, rendered in BODIES:
        if not rendered:
            continue
        markdown = html_to_markdown(html)
        assert "\nLinks:\n" not in markdown  # the plain-text fallback lists links at the end
        for anchor in links(html):
            total += 1
            kept += kept_inline(href(anchor), markdown)
    print(f"links kept inline in rendered HTML bodies: {kept}/{total}")
    assert total >= 60
    assert kept / total >= 0.99


def _nothing_to_click(anchor: LexborNode) -> bool:
    """No text and no image: even on screen, a reader has nothing to see or click."""
    return not anchor.text().strip() and anchor.css_first("img") is None


def test_a_link_lost_from_any_html_part_is_one_nobody_could_click() -> None:
    """Every HTML part, shown or not: 7 of 95 links are lost, all of them empty anchors parked off
    screen in a 0x0 box (mail_test_8's spam filler); every other link is kept inline."""
    lost: list[str] = []
    total = 0
    for name, html, _ in BODIES:
        markdown = html_to_markdown(html)
        for anchor in links(html):
            total += 1
            if not kept_inline(href(anchor), markdown):
                assert _nothing_to_click(anchor), (name, anchor.html)
                lost.append(href(anchor))
    print(f"links kept inline in every HTML part: {total - len(lost)}/{total}")
    assert total >= 90
    assert len(lost) <= 7

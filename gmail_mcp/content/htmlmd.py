"""HTML email → compact Markdown that keeps every link a reader could see.

A selectolax clean-up pass first removes what a reader never sees (hidden elements and text runs,
see hiding.py; tracking pixels, head, scripts, comments), turns images into their alt text and
image links into `[alt text or file name](href)` where the image stood, drops image links that
repeat a text link and flattens layout tables; html-to-markdown then converts what is left.
Measurements behind these choices: shared/notes/html-rendering.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

from gmail_mcp.content.charsets import strip_invisible
from gmail_mcp.content.hiding import find_hidden, parse_declarations

__all__ = ["RenderedHtml", "html_to_markdown", "render_html", "visible_text", "visible_text_length"]


@functools.cache
def _options() -> Any:
    from html_to_markdown import ConversionOptions, PreprocessingOptions

    return ConversionOptions(
        extract_metadata=False,
        compact_tables=True,
        inline_data_media="alt_text_only",
        skip_images=True,  # images were already replaced by their alt text
        wrap=False,  # wrapping breaks long tracking URLs
        # The default preprocessing drops <nav>, <form> and "menu"-like blocks, and their links with them.
        preprocessing=PreprocessingOptions(enabled=False),
        # Hiding is decided by the clean-up pass: the converter's own rules also drop font-size:0,
        # which mail uses around image links (the social icons of mail_test_5 in the corpus).
        hidden_content="all",
    )


def _parse(html: str) -> LexborHTMLParser:
    # The HTML libraries load on the first HTML email, not when the server starts.
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(html)


_INVISIBLE_TAGS = "script,style,head,title,meta,link,noscript,template,iframe,object,embed,svg,map"
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")
_PIXEL_NAME = re.compile(r"(?:^|[/_.-])(?:1x1|spacer|blank|clear|transparent|pixel)\.(?:gif|png)$", re.I)
_QUOTE_SELECTORS = ("blockquote[type=cite]", "div.gmail_quote", "div.yahoo_quoted", "div.moz-cite-prefix")
_OUTLOOK_MARKERS = ("#appendonsend", "#divRplyFwdMsg")
_NAME_SEPARATORS = re.compile(r"(?:[-_.+\s]|%20)+")
_HASHLIKE = re.compile(r"\d+|[0-9a-f]{6,}|\w*\d\w*\d\w*\d\w*", re.I)  # numbers, hashes, ids
_NBSP_INDENT = re.compile(r"^[ \t]*\xa0[\xa0 \t]*")
_SPACES = re.compile(r"(?<=\S) {2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
_INLINE_LINK = re.compile(r"\[((?:[^\[\]\\\n]|\\.)*)\]\((<[^<>\n]*>|(?:[^()\s]|\([^()\s]*\))+)\)")


@dataclass(frozen=True)
class RenderedHtml:
    """Markdown for an HTML body, and how many lines of trailing quoted history were left out."""

    markdown: str
    quoted_lines_hidden: int = 0


def html_to_markdown(html: str) -> str:
    """Render an HTML email as compact Markdown, keeping every visible http(s) link as [text](url).

    Hidden content, tracking pixels, `data:` images and images without alt text are dropped, images
    become their alt text, image links `[alt text or file name](url)`, layout tables become plain blocks while data tables stay Markdown
    tables, and whitespace and invisible characters are collapsed. Falls back to plain text with the
    links listed when the converter cannot cope (very deep nesting). Never raises.
    """
    return render_html(html).markdown


def render_html(html: str, *, include_quoted: bool = True) -> RenderedHtml:
    """Like `html_to_markdown`; without `include_quoted`, trailing quoted history is cut off.

    Quoted history is a trailing `blockquote type=cite`, `div.gmail_quote`, `div.yahoo_quoted` or
    Thunderbird citation, or everything from Outlook's `#appendonsend` / `#divRplyFwdMsg` on. The
    count is of the Markdown lines with words in them (not rules or blanks) the quote would take.
    """
    tree = _parse(html)
    try:
        _clean(tree)
        quoted = "" if include_quoted else _cut_trailing_quote(tree)
    except Exception:  # a parser error on pathological markup must not lose the message: plain text
        return RenderedHtml(_tidy(_plain_text(_parse(html))))
    hidden = (
        sum(1 for line in _convert(quoted).split("\n") if any(ch.isalnum() for ch in line)) if quoted else 0
    )
    return RenderedHtml(_convert_tree(tree), hidden)


def visible_text(html: str) -> str:
    """The words a reader would see in this HTML, space-separated (for comparing with text/plain)."""
    tree = _parse(html)
    try:
        _clean(tree)
    except Exception:  # as in render_html: pathological markup still has words
        tree = _parse(html)
    root = tree.body or tree.root
    return " ".join((root.text(separator=" ") if root else "").split())


def visible_text_length(html: str) -> int:
    """Characters of text a reader would see in this HTML, whitespace aside."""
    return len(visible_text(html).replace(" ", ""))


# --- the clean-up pass ---------------------------------------------------------------------------


def _clean(tree: LexborHTMLParser) -> None:
    root = tree.root
    if root is None:
        return
    comments = [node for node in root.traverse(include_text=True) if node.is_comment_node]
    for node in comments:
        node.decompose()
    hidden = find_hidden(tree)  # before <style> goes: its rules say what is hidden
    for text in hidden.texts:  # text runs first: removing an element frees the runs inside it
        if any(ch.isspace() for ch in text.text_content or ""):
            text.replace_with(" ")  # keep words that a hidden run separated apart
        else:
            text.decompose()
    _remove_outermost([*tree.css(_INVISIBLE_TAGS), *hidden.elements])
    for node in tree.css("[title]"):
        del node.attrs["title"]  # tooltips nobody reads in a mail; converters turn them into text
    _rewrite_links(tree)
    _rewrite_images(tree)
    _flatten_layout_tables(tree)


def _style(node: LexborNode) -> dict[str, str]:
    return {
        name: value for name, (value, _) in parse_declarations(node.attributes.get("style") or "").items()
    }


def _remove_outermost(nodes: Iterable[LexborNode]) -> None:
    """Decompose nodes, skipping those inside another doomed node (already freed with it)."""
    doomed = {node.mem_id: node for node in nodes}
    for mem_id, node in doomed.items():
        parent = node.parent
        while parent is not None and parent.mem_id not in doomed:
            parent = parent.parent
        if parent is None:
            doomed[mem_id].decompose()


def _pixel(img: LexborNode) -> bool:
    style = _style(img)
    for value in (
        img.attributes.get("width"),
        img.attributes.get("height"),
        style.get("width"),
        style.get("height"),
    ):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*", value or "")
        if match and float(match.group(1)) <= 2:
            return True
    return bool(_PIXEL_NAME.search((img.attributes.get("src") or "").split("?", 1)[0]))


def _alt(img: LexborNode) -> str:
    return " ".join((img.attributes.get("alt") or "").split())


def _rewrite_links(tree: LexborHTMLParser) -> None:
    """Unwrap links a reader cannot follow; drop links with nothing to show and image links that
    repeat a text link; label the other image links, where the image stood, with its alt text or,
    without one, its file name ("[image]" when that is only a hash).

    Buy buttons, banners and badges are image links without alt text: their target is often the
    only way to act on the message, so they stay.
    """
    anchors = tree.css("a")
    text_hrefs = {(a.attributes.get("href") or "").strip() for a in anchors if a.text().strip()}
    doomed: list[LexborNode] = []
    for anchor in anchors:
        href = (anchor.attributes.get("href") or "").strip()
        text = anchor.text().strip()
        if not href.lower().startswith(_LINK_SCHEMES) or _says_its_address(href, text):
            anchor.unwrap()
            continue
        if text:
            continue
        images = [img for img in anchor.css("img") if not _pixel(img)]
        if not images or href in text_hrefs:
            doomed.append(anchor)
            continue
        label = " ".join(filter(None, map(_alt, images))) or _image_name(images[0])
        for img in images[1:]:
            img.decompose()
        images[0].replace_with(label)
    _remove_outermost(doomed)


def _image_name(img: LexborNode) -> str:
    """Up to three words of an image's file name ("color-twitter-48.png" -> "color twitter"), else
    "image"."""
    src = (img.attributes.get("src") or "").strip()
    scheme = re.match(r"([a-z][a-z0-9+.-]*):", src, re.I)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return "image"  # cid:, data:, ... name nothing a reader would recognise
    stem = src.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = [w for w in _NAME_SEPARATORS.split(stem) if w and not _HASHLIKE.fullmatch(w)]
    # A name is no one's reading matter: a few words label the link, a sentence would be hidden text.
    return " ".join(words[:3])[:30].strip() or "image"


def _says_its_address(href: str, text: str) -> bool:
    """A mailto: link whose text is its address: the text alone says it all."""
    scheme, _, address = href.partition(":")
    return scheme.lower() == "mailto" and address.split("?", 1)[0].strip().lower() == text.lower()


def _rewrite_images(tree: LexborHTMLParser) -> None:
    for img in tree.css("img"):
        alt = _alt(img)
        if alt and not _pixel(img):
            img.replace_with(f" {alt} ")
        else:
            img.decompose()


def _is_layout_table(table: LexborNode) -> bool:
    if (table.attributes.get("role") or "").lower() in ("presentation", "none"):
        return True
    if any(inner.mem_id != table.mem_id for inner in table.css("table")):  # css() matches the node itself
        return True
    if table.css_first("th, thead, caption") is not None:
        return False
    filled_rows = 0
    for row in table.css("tr"):
        cells = [cell for cell in row.iter() if cell.tag in ("td", "th") and cell.text().strip()]
        filled_rows += len(cells) >= 2
    return filled_rows < 2


def _flatten_layout_tables(tree: LexborHTMLParser) -> None:
    """Turn layout tables into nested divs (innermost first) so they read as plain blocks."""
    layout = [table for table in tree.css("table") if _is_layout_table(table)]
    for table in reversed(layout):
        block = tree.create_node("div")
        for row in table.css("tr"):
            if _nearest_table(row) != table.mem_id:
                continue
            line = tree.create_node("div")
            block.insert_child(line, move=True)
            for cell in row.iter():
                if cell.tag not in ("td", "th"):
                    continue
                box = tree.create_node("div")
                line.insert_child(box, move=True)
                for child in list(cell.iter(include_text=True)):
                    box.insert_child(child, move=True)
        table.replace_with(block, move=True)


def _nearest_table(node: LexborNode) -> int | None:
    parent = node.parent
    while parent is not None and parent.tag != "table":
        parent = parent.parent
    return parent.mem_id if parent is not None else None


# --- quoted history ------------------------------------------------------------------------------


def _cut_trailing_quote(tree: LexborHTMLParser) -> str:
    """Remove the trailing quoted history from the tree; return its HTML ("" when there is none)."""
    for selector in _OUTLOOK_MARKERS:
        marker = tree.css_first(selector)
        if marker is not None:
            cut = [marker]
            sibling = marker.next
            while sibling is not None:
                cut.append(sibling)
                sibling = sibling.next
            previous = marker.prev
            while previous is not None and (previous.tag == "hr" or _blank(previous)):
                cut.insert(0, previous)
                previous = previous.prev
            return _detach(cut)
    for node in tree.css(", ".join(_QUOTE_SELECTORS)):
        if node.tag == "div" and "moz-cite-prefix" in (node.attributes.get("class") or ""):
            continue  # Thunderbird's attribution line: taken with the blockquote that follows it
        if not _text_follows(node):
            cut = [node]
            previous = node.prev
            while previous is not None and _blank(previous):
                previous = previous.prev
            if previous is not None and "moz-cite-prefix" in (previous.attributes.get("class") or ""):
                cut.insert(0, previous)
            return _detach(cut)
    return ""


def _blank(node: LexborNode) -> bool:
    return not node.text().strip() and node.tag != "img"


def _text_follows(node: LexborNode) -> bool:
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html"):
        sibling = current.next
        while sibling is not None:
            if sibling.text().strip():
                return True
            sibling = sibling.next
        current = current.parent
    return False


def _detach(nodes: list[LexborNode]) -> str:
    html = "".join(node.html or "" for node in nodes)
    for node in nodes:
        node.decompose()
    return html


# --- conversion ----------------------------------------------------------------------------------


def _convert(html: str) -> str:
    return _convert_tree(_parse(html))


def _convert_tree(tree: LexborHTMLParser) -> str:
    try:
        from html_to_markdown import convert

        result = convert(tree.html or "", _options())
        markdown = result.content or ""
        too_deep = any("depth" in str(warning).lower() for warning in result.warnings)
    except Exception:  # the converter is a compiled dependency: any failure falls back to plain text
        markdown, too_deep = "", True
    if too_deep or not markdown.strip():
        markdown = _plain_text(tree)
    return _share_repeated_links(_tidy(markdown))


def _plain_text(tree: LexborHTMLParser) -> str:
    """The text of the tree, one text run per line, with its links listed after it."""
    root = tree.body or tree.root
    if root is None:
        return ""
    text = root.text(separator="\n", strip=True)
    links: dict[str, str] = {}
    for anchor in root.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if href.lower().startswith(("http://", "https://")):
            links.setdefault(href, " ".join(anchor.text().split()) or href)
    listed = "\n".join(f"- [{label}]({_destination(href)})" for href, label in links.items())
    return f"{text}\n\nLinks:\n{listed}" if listed else text


def _destination(href: str) -> str:
    return f"<{href}>" if re.search(r"[\s()<>]", href) else href


def _share_repeated_links(markdown: str) -> str:
    """Write a URL that several links share once, as a reference: `[text][1]` ... `[1]: url`.

    Marketing mail points headline, image and button at the same long tracking URL; each link
    keeps its target, the URL costs its length once.
    """
    counts: dict[str, int] = {}
    for match in _INLINE_LINK.finditer(markdown):
        counts[match.group(2)] = counts.get(match.group(2), 0) + 1
    numbers: dict[str, int] = {}
    for url, count in counts.items():
        if count > 1:
            numbers[url] = len(numbers) + 1
    if not numbers:
        return markdown

    def reference(match: re.Match[str]) -> str:
        number = numbers.get(match.group(2))
        return f"[{match.group(1)}][{number}]" if number else match.group(0)

    definitions = "\n".join(f"[{number}]: {url}" for url, number in numbers.items())
    return f"{_INLINE_LINK.sub(reference, markdown)}\n\n{definitions}"


def _tidy(markdown: str) -> str:
    """Invisible characters out, NBSP to space, runs of spaces and blank lines collapsed."""
    text = strip_invisible(markdown).replace("\r\n", "\n")
    lines: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced:
            lines.append(line.rstrip())
        else:  # indentation made of NBSPs is layout, not Markdown structure
            lines.append(_SPACES.sub(" ", _NBSP_INDENT.sub("", line).replace("\xa0", " ")).rstrip())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")

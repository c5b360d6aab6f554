"""GET /mail/<id>: a read-only HTML view of one message, what the server's open tool opens in sandbox mode.

Every value is HTML-escaped. An HTML body is rebuilt from an allowlist of tags and attributes
(scripts, styles, frames, forms and event handlers never survive), and the page is served with a
Content-Security-Policy that forbids scripts and remote loads anyway.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from gmail_mcp.sandbox.apierror import ApiError
from gmail_mcp.sandbox.mimetext import decode_text
from gmail_mcp.sandbox.payload import Part
from gmail_mcp.sandbox.store import Mailbox

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "code",
        "col",
        "colgroup",
        "dd",
        "div",
        "dl",
        "dt",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
    ]
)
_VOID = frozenset({"br", "hr", "img", "col"})
_DROP_WITH_CONTENT = frozenset({"script", "style", "title", "iframe", "object", "embed", "svg", "math"})
_DROP_WITH_CONTENT |= {"template", "noscript", "textarea", "select", "button", "applet", "frameset"}
_ALLOWED_ATTRS = frozenset(
    [
        "href",
        "src",
        "alt",
        "title",
        "width",
        "height",
        "align",
        "valign",
        "colspan",
        "rowspan",
        "border",
        "cellpadding",
        "cellspacing",
        "color",
        "bgcolor",
        "face",
        "size",
        "dir",
        "lang",
    ]
)
_SAFE_SCHEMES = ("http:", "https:", "mailto:", "#")


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._dropping = 0
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_WITH_CONTENT:
            if tag not in _VOID:
                self._dropping += 1
            return
        if self._dropping or tag not in _ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            if name not in _ALLOWED_ATTRS or value is None:
                continue
            if name in ("href", "src"):
                lowered = value.strip().lower()
                allowed = lowered.startswith(_SAFE_SCHEMES) or (
                    name == "src" and lowered.startswith("data:image/")
                )
                if not allowed:
                    continue
            kept.append(f' {name}="{escape(value, quote=True)}"')
        if tag == "a":
            kept.append(' rel="noopener noreferrer nofollow"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in _VOID:
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_WITH_CONTENT:
            self._dropping = max(0, self._dropping - 1)
            return
        if self._dropping or tag not in self._open:
            return
        while self._open:  # close what the sender left open inside it
            current = self._open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.out.append(escape(data))

    def result(self) -> str:
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self._open))


def sanitize_html(markup: str) -> str:
    """An HTML body reduced to safe, inert markup (text escaped; on failure, all of it escaped)."""
    sanitizer = _Sanitizer()
    try:
        sanitizer.feed(markup)
        sanitizer.close()
    except Exception:  # HTMLParser still asserts on some hostile markup
        return f"<pre>{escape(markup)}</pre>"
    return sanitizer.result()


def _body_html(root: Part) -> str:
    leaves = [p for p in root.walk() if not p.attachment and not p.parts]
    html_part = next((p for p in leaves if p.mime_type == "text/html"), None)
    if html_part is not None:
        return sanitize_html(decode_text(html_part.data, html_part.charset))
    texts = [decode_text(p.data, p.charset) for p in leaves if p.mime_type.startswith("text/")]
    return f"<pre>{escape(chr(10).join(texts))}</pre>"


def _document(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:1em auto}"
        "dt{font-weight:bold;float:left;width:5em}dd{margin-left:6em}"
        ".body{border-top:1px solid #ccc;margin-top:1em;padding-top:1em}</style>"
        f"</head><body>{body}</body></html>\n"
    ).encode()


def render(mailbox: Mailbox, message_id: str) -> tuple[int, bytes]:
    """Status and HTML for /mail/<id>: 200 with the message, 404 for an unknown or malformed id."""
    with mailbox.lock:
        try:
            message = mailbox.message(message_id)
        except ApiError:
            return 404, _document("Not found", f"<h1>No message {escape(message_id)}</h1>")
        root = mailbox.parsed(message).root
        labels = sorted(message.label_ids)
    rows = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(root.header(name))}</dd>"
        for name in ("From", "To", "Cc", "Date", "Subject")
        if root.header(name)
    )
    files = [p.filename or p.mime_type for p in root.walk() if p.attachment]
    attachments = (
        "<h2>Attachments</h2><ul>" + "".join(f"<li>{escape(name)}</li>" for name in files) + "</ul>"
        if files
        else ""
    )
    subject = root.header("Subject") or "(no subject)"
    body = (
        f"<h1>{escape(subject)}</h1><dl>{rows}</dl>"
        f"<p>Labels: {escape(', '.join(labels)) or 'none'}</p>"
        f'<div class="body">{_body_html(root)}</div>{attachments}'
    )
    return 200, _document(subject, body)

"""Writing mail: standards-correct messages and replies that every mail client threads.

Every header value is checked (`headers.check_argument`: no line breaks, controls, bidi controls
or encoded-word syntax) and encoded by our own code (`headers.py`), then written as it is: the
standard library's header folder, which decodes encoded words and writes decoded line breaks back
out raw on older CPythons, never sees a value. MIME structure and bodies are the standard
library's. Re-exported by `mime.py`.
"""

from __future__ import annotations

import functools
import mimetypes
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape as html_escape
from typing import TYPE_CHECKING, Literal

from gmail_mcp.content import headers
from gmail_mcp.errors import InvalidParamsError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
from gmail_mcp.content.htmlmd import html_to_markdown
from gmail_mcp.content.mimetree import split_addresses

__all__ = [
    "MAX_ATTACHMENTS_BYTES",
    "MAX_RAW_MESSAGE_BYTES",
    "OutgoingAttachment",
    "body_kind",
    "build_message",
    "check_header_value",
    "make_message_id",
    "parse_recipients",
    "reply_references",
    "reply_subject",
]

MAX_RAW_MESSAGE_BYTES = 36_700_160  # 35 MB: messages.send / drafts.create
MAX_ATTACHMENTS_BYTES = 26_214_400  # 25 MB of attachments in total
MAX_REFERENCES = 20  # ids kept in References: long threads otherwise grow the header without bound

# SMTP's CRLF, and 7-bit clean bodies (quoted-printable/base64) so no relay has to convert them.
# refold_source="none": headers we encode ourselves (`_set`) are written as given.
_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+>")  # printable ASCII, no spaces, no <> inside


@functools.cache
def _markdown() -> MarkdownIt:
    # Imported on first use: the server must start fast, and most sessions never write Markdown.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])


_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw|odp|ynt)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.I)
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NAME_AND_ADDRESS = re.compile(r"(.*?)\s*<\s*([^<>\s]*)\s*>", re.S)
_HTML = re.compile(
    r"^\s*(?:<!doctype\s+html|<html[\s>])|<a\s+href\s*=|<(?:br|hr|img)\b[^>]*>|"
    r"</(?:p|div|span|a|b|i|u|strong|em|table|tr|td|th|ul|ol|li|h[1-6]|blockquote|pre|code|font|center)\s*>",
    re.I,
)
_MARKDOWN_SIGNS = (
    re.compile(r"^#{1,6}[ \t]+\S", re.M),  # heading
    re.compile(r"(\*\*|__)(?=\S)[^\n]+?(?<=\S)\1"),  # strong
    re.compile(r"(?<![\w*])\*(?=[^\s*])[^*\n]+(?<=[^\s*])\*(?![\w*])"),  # emphasis
    re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"),  # link
    re.compile(r"^[ \t]*(```|~~~)", re.M),  # fenced code
    re.compile(r"`[^`\n]+`"),  # inline code
    re.compile(r"(?:^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S[^\n]*(?:\n|$)){2,}", re.M),  # a list of two or more
)


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file to attach: its name as the recipient will see it, and its bytes."""

    filename: str
    data: bytes
    mime_type: str | None = None  # guessed from the filename (mimetypes) when None


def check_header_value(value: str, field: str) -> str:
    """Return `value` unchanged, or refuse it when it could change the header it goes into.

    See `headers.check_argument`: line breaks of every kind, controls, bidi controls, zero-width
    characters other than ZWNJ/ZWJ, and encoded-word syntax are refused.

    Raises:
        InvalidParamsError: naming `field`.
    """
    return headers.check_argument(value, field)


def parse_recipients(value: str | Sequence[str] | None, field: str) -> list[Address]:
    """Recipients from a comma/semicolon-separated string or a list of them, validated, deduplicated.

    Entries are "Name <a@b.example>" (quoted names may contain commas) or a bare address. The
    domain needs a dot (no "localhost"); internationalised domains are kept as their IDNA (xn--)
    form. Duplicates (case-insensitive) are dropped, keeping the first.

    Raises:
        InvalidParamsError: naming `field` and the entry that is not an address.
    """
    if value is None:
        return []
    found: list[Address] = []
    seen: set[str] = set()
    for item in [value] if isinstance(value, str) else value:
        check_header_value(item, field)
        for entry in split_addresses(item):
            address = _parse_address(entry, field)
            if address.addr_spec.lower() not in seen:
                seen.add(address.addr_spec.lower())
                found.append(address)
    return found


def _parse_address(entry: str, field: str) -> Address:
    match = _NAME_AND_ADDRESS.fullmatch(entry)
    name, addr = (match.group(1), match.group(2)) if match else ("", entry)
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    addr = re.sub(r"^mailto:", "", addr.strip(), flags=re.I)
    local, at, domain = addr.rpartition("@")
    ascii_domain = _ascii_domain(domain.rstrip("."))
    if not at or not _LOCAL_PART.fullmatch(local) or len(local) > 64 or ascii_domain is None:
        raise InvalidParamsError(
            f"{field}: {entry!r} is not a valid email address.", field=field, value=entry
        )
    try:
        return Address(display_name=" ".join(name.split()), username=local, domain=ascii_domain)
    except (ValueError, TypeError) as exc:
        raise InvalidParamsError(
            f"{field}: {entry!r} is not a valid email address.", field=field, value=entry
        ) from exc


def _ascii_domain(domain: str) -> str | None:
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253 or labels[-1].isdigit():
        return None
    return ascii_domain if all(_LABEL.fullmatch(label) for label in labels) else None


def reply_subject(subject: str) -> str:
    """The subject of a reply: exactly one "Re: " before the original, whatever prefixes it had.

    Re:, RE:, re:, Re[2]:, Aw:, Sv: (and a few more languages) are stripped however often they
    repeat; a Fwd: after them stays. An empty subject gives "Re:".
    """
    rest = _REPLY_PREFIX.sub("", subject or "", count=1).strip()
    return f"Re: {rest}" if rest else "Re:"


def reply_references(parent_message_id: str, parent_references: str) -> tuple[str, str]:
    """(In-Reply-To, References) for a reply, as RFC 5322 §3.6.4 describes.

    References is the parent's References plus the parent's Message-ID, without duplicates and
    whitespace-normalised; past `MAX_REFERENCES` ids the oldest are dropped, except the first
    (the thread's root), as RFC 5322 suggests.
    """
    parent = _normalize_id(parent_message_id)
    ids: list[str] = []
    for found in re.findall(r"<[^<>]+>", parent_references or ""):
        normalized = _normalize_id(found)
        if normalized and normalized not in ids and normalized != parent:
            ids.append(normalized)
    if parent:
        ids.append(parent)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return parent, " ".join(ids)


def _normalize_id(message_id: str) -> str:
    compact = "".join((message_id or "").split()).strip("<>")
    return f"<{compact}>" if compact else ""


def make_message_id(domain: str) -> str:
    """A new, unique Message-ID: "<random hex@domain>" ("gmail-mcp.local" for an unusable domain)."""
    domain = (domain or "").strip().strip("<>").rpartition("@")[2]
    if not re.fullmatch(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", domain):
        domain = "gmail-mcp.local"
    return f"<{uuid.uuid4().hex}@{domain}>"


def body_kind(body: str) -> Literal["text", "markdown", "html"]:
    """What a message body was written as: an HTML document or fragment, Markdown, or plain text.

    HTML: a doctype/<html>, a link, <br>/<hr>/<img> or a closing tag of a common element.
    Markdown: a heading, emphasis, a [link](url), code, or a list of two or more items.
    """
    if _HTML.search(body):
        return "html"
    if any(sign.search(body) for sign in _MARKDOWN_SIGNS):
        return "markdown"
    return "text"


def build_message(
    *,
    sender: str | None,
    to: Sequence[Address],
    cc: Sequence[Address] = (),
    bcc: Sequence[Address] = (),
    subject: str,
    body: str,
    attachments: Sequence[OutgoingAttachment] = (),
    in_reply_to: str | None = None,
    references: str | None = None,
    message_id: str | None = None,
    date: datetime | None = None,
    kind: Literal["text", "markdown", "html"] | None = None,
    signature_html: str | None = None,
) -> EmailMessage:
    """Build a message ready to send: `bytes(msg)` is the raw RFC 5322 text (CRLF line ends).

    The body becomes one text/plain part (plain text), text/plain as written plus a text/html
    rendering (Markdown: markdown-it, raw HTML escaped), or text/plain rendered from the HTML plus
    the HTML itself (HTML); `kind` says which it is (default: `body_kind` decides). A signature
    (HTML, as Gmail keeps it) closes both parts after the usual "-- " line, so a plain body then
    gets an HTML part too. Attachments get RFC 2231 filenames and types guessed from the name.
    Date defaults to now (UTC); Message-ID to a new one on the sender's domain.

    Raises:
        InvalidParamsError: a value with a line break, an invalid sender, or attachments larger in
            total than `MAX_ATTACHMENTS_BYTES` (checked before anything is built).
    """
    total = sum(len(a.data) for a in attachments)
    if total > MAX_ATTACHMENTS_BYTES:
        raise InvalidParamsError(
            f"Attachments total {total:,} bytes; Gmail allows at most {MAX_ATTACHMENTS_BYTES:,}.",
            field="attachments",
            total_bytes=total,
            limit_bytes=MAX_ATTACHMENTS_BYTES,
        )
    ids = {"in_reply_to": in_reply_to, "references": references, "message_id": message_id}
    for field, value in ids.items():
        if value is not None:
            check_header_value(value, field)
            if not all(_MESSAGE_ID.fullmatch(one) for one in value.split()):
                raise InvalidParamsError(f"{field} must be message ids like <id@host>.", field=field)
    if sender is not None:
        check_header_value(sender, "sender")
    from_address = _one_sender(sender) if sender else None

    msg = EmailMessage(policy=_POLICY)
    if from_address is not None:
        _set_addresses(msg, "From", [from_address], "sender")
    for name, addresses in (("To", to), ("Cc", cc), ("Bcc", bcc)):
        if addresses:
            _set_addresses(msg, name, addresses, name.lower())
    _set(msg, "Subject", headers.encode_text(subject, header="Subject", field="subject"))
    _set(msg, "Date", format_datetime(_aware(date or datetime.now(UTC))))
    _set(msg, "Message-ID", message_id or make_message_id(from_address.domain if from_address else ""))
    if in_reply_to:
        _set(msg, "In-Reply-To", in_reply_to)
    if references:
        _set(msg, "References", "\r\n ".join(references.split()))
    _set_body(msg, body, kind or body_kind(body), signature_html)
    for attachment in attachments:
        _attach(msg, attachment)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the stdlib repeats it on every part; it belongs on the top
    return msg


def _set(msg: EmailMessage, name: str, value: str) -> None:
    """Write a header exactly as encoded here: 7-bit, folded with CRLF + space, nothing else."""
    if (
        not value.isascii()
        or any(headers.unsafe_character(line) for line in value.split("\r\n"))
        or not all(line[:1] in (" ", "\t") for line in value.split("\r\n")[1:])
    ):
        raise ValueError(f"{name} was not encoded safely")  # a bug here, never the agent's input
    msg.set_raw(name, value)


def _set_addresses(msg: EmailMessage, name: str, addresses: Sequence[Address], field: str) -> None:
    entries = [headers.encode_address(a.display_name, a.addr_spec, field) for a in addresses]
    _set(msg, name, ",\r\n ".join(entries))


def _one_sender(sender: str) -> Address:
    addresses = parse_recipients(sender, "sender")
    if len(addresses) != 1:
        raise InvalidParamsError("sender must be exactly one address.", field="sender", value=sender)
    return addresses[0]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _set_body(
    msg: EmailMessage, body: str, kind: Literal["text", "markdown", "html"], signature_html: str | None
) -> None:
    signature = (signature_html or "").strip()
    if kind == "text" and not signature:
        msg.set_content(body, subtype="plain", charset="utf-8", cte=_transfer_encoding(body))
        return
    if kind == "text":
        plain, html = body, _html_document(_text_as_html(body))
    elif kind == "markdown":
        plain, html = body, _html_document(_markdown().render(body))
    else:
        plain, html = html_to_markdown(body), body
    if signature:
        # Gmail's own layout: the "-- " separator line, then the signature as its owner wrote it.
        plain = f"{plain.rstrip()}\n\n-- \n{html_to_markdown(signature).strip()}\n"
        closing = f'<br>\n<div class="gmail_signature">-- <br>\n{signature}</div>\n'
        html = html.replace("</body>", closing + "</body>", 1) if "</body>" in html else html + closing
    msg.set_content(plain, subtype="plain", charset="utf-8", cte=_transfer_encoding(plain))
    msg.add_alternative(html, subtype="html", charset="utf-8", cte=_transfer_encoding(html))


def _text_as_html(text: str) -> str:
    """Plain text as an HTML fragment that shows it as written: escaped, its line breaks kept."""
    return "<div>" + html_escape(text).replace("\n", "<br>\n") + "</div>\n"


def _transfer_encoding(text: str) -> str:
    """7bit when it already is; quoted-printable otherwise, which stays readable in the raw message."""
    if text.isascii() and all(len(line) <= 998 for line in text.splitlines()):
        return "7bit"
    return "quoted-printable"


def _html_document(fragment: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"></head>\n<body>\n{fragment}</body>\n</html>\n'
    )


def _attach(msg: EmailMessage, attachment: OutgoingAttachment) -> None:
    disposition = headers.encode_filename(attachment.filename)
    mime_type = attachment.mime_type or mimetypes.guess_type(attachment.filename, strict=False)[0] or ""
    check_header_value(mime_type, "attachments")
    maintype, _, subtype = mime_type.lower().partition("/")
    if not (re.fullmatch(r"[a-z0-9][\w.+-]*", maintype) and re.fullmatch(r"[a-z0-9][\w.+-]*", subtype)):
        maintype, subtype = "application", "octet-stream"
    if maintype in ("message", "multipart"):
        # These may not be base64-encoded (RFC 2046); sent as opaque bytes they reach the reader intact.
        maintype, subtype = "application", "octet-stream"
    msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, disposition="attachment")
    part = list(msg.iter_parts())[-1]
    assert isinstance(part, EmailMessage)  # add_attachment appended it
    del part["Content-Disposition"]  # the filename goes in as encoded here, not by the stdlib
    _set(part, "Content-Disposition", disposition)

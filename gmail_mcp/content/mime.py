"""Email content done right: the one import for reading and writing mail.

This module chooses and renders the body a person would read (alternatives, stubs, forwarded
messages, invitations, quoted history). It re-exports the rest of the public API so callers need
one import: the MIME tree and attachments (`mimetree.py`), a tree that came in pieces made whole
(`assemble.py`), characters (`charsets.py`), HTML → Markdown (`htmlmd.py`), writing mail
(`compose.py`) and forwarding it (`forward.py`). Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

from gmail_mcp.content.assemble import (
    ENCLOSED_TYPES,
    body_parts_to_fetch,
    expand,
    fill,
    parts_to_fetch,
    replace_parts,
)
from gmail_mcp.content.charsets import clean_text, decode_bytes, decode_header
from gmail_mcp.content.compose import (
    MAX_ATTACHMENTS_BYTES,
    MAX_RAW_MESSAGE_BYTES,
    OutgoingAttachment,
    body_kind,
    build_message,
    check_header_value,
    make_message_id,
    parse_recipients,
    reply_references,
    reply_subject,
)
from gmail_mcp.content.envelope import Attached, Envelope, envelope_differences, header_names, read_envelope
from gmail_mcp.content.forward import FORWARD_MARKER, Forward, forward, forward_subject
from gmail_mcp.content.headers import neutralise, visible
from gmail_mcp.content.htmlmd import html_to_markdown, render_html, visible_text
from gmail_mcp.content.mimetree import (
    BODY_TYPES,
    FORWARDED_TYPES,
    content_id,
    decode_addresses,
    format_address,
    header_param,
    is_attachment,
    list_attachments,
    parse_rfc822,
    part_charset,
)
from gmail_mcp.models import MimePart

__all__ = [
    "ENCLOSED_TYPES",
    "FORWARD_MARKER",
    "MAX_ATTACHMENTS_BYTES",
    "MAX_RAW_MESSAGE_BYTES",
    "Attached",
    "Body",
    "Envelope",
    "Forward",
    "OutgoingAttachment",
    "body_kind",
    "body_parts_to_fetch",
    "build_message",
    "check_header_value",
    "clean_text",
    "decode_addresses",
    "decode_bytes",
    "decode_header",
    "envelope_differences",
    "expand",
    "extract_body",
    "fill",
    "fold_quoted",
    "format_address",
    "forward",
    "forward_subject",
    "header_names",
    "html_to_markdown",
    "invitation_summary",
    "list_attachments",
    "make_message_id",
    "neutralise",
    "parse_recipients",
    "parse_rfc822",
    "parts_to_fetch",
    "read_envelope",
    "replace_parts",
    "reply_references",
    "reply_subject",
    "visible",
]

Format = Literal["auto", "text", "html"]

# Shown as body even when sent as attachments: forwarded messages, invitations, nested multiparts.
_READ_EVEN_IF_ATTACHED = ("message/rfc822", "message/global", "text/calendar", "multipart/")
# Subjects of forwards (Fwd, Fw; Italian I, French TR, German WG, Spanish RV, Portuguese ENC, ...):
# there the "From: ... Sent: ..." block is the message being passed on, not history.
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|i|tr|wg|rv|enc|doorst|vl|vb|pd)\s*:", re.I)
_STUB_PHRASES = (
    "view this email in your browser",
    "view this email in a browser",
    "view it in your browser",
    "view this message in your browser",
    "view the online version",
    "view online version",
    "open this email in your browser",
    "your email client cannot display",
    "your email client does not",
    "email client does not support",
    "does not support html",
    "cannot display html",
    "html-capable",
    "requires an html",
    "this is an html message",
    "this message is in html",
    "enable html",
)


@dataclass(frozen=True)
class Body:
    """The body a person would read, and what it is."""

    content: str
    content_type: Literal["text", "markdown", "html"]  # what `content` holds
    source_mime_type: str  # the part it came from: "text/plain", "text/html", "" when none
    quoted_lines_hidden: int = 0
    note: str = ""  # what the reader should know about this choice (plain and HTML disagree)


# --- choosing the body ---------------------------------------------------------------------------


def _text(part: MimePart, default_charset: str | None) -> str:
    data = part.data or b""
    charset = part_charset(part)
    if charset is None and part.mime_type == "text/html":
        meta = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", data[:4096], re.I)
        charset = meta.group(1).decode("ascii") if meta else None
    return decode_bytes(data, charset or default_charset)


@dataclass(frozen=True)
class _Piece:
    kind: Literal["text", "html", "block"]  # block: already rendered (invitation, forwarded message)
    content: str
    mime_type: str
    hidden: int = 0
    markdown: bool = False  # a block holding Markdown (a forwarded HTML message)
    note: str = ""


@dataclass(frozen=True)
class _Reader:
    format: Format
    include_quoted: bool
    default_charset: str | None

    def pieces(self, part: MimePart) -> list[_Piece]:
        kind = part.mime_type
        if kind.startswith("multipart/") and part.parts:
            subtype = kind.partition("/")[2]
            if subtype == "alternative":
                return self.alternative(part)
            if subtype == "related":
                return self.pieces(_related_root(part))
            if subtype == "signed":
                return self.pieces(part.parts[0])
            found: list[_Piece] = []
            for child in part.parts:
                if child.mime_type.startswith(_READ_EVEN_IF_ATTACHED) or not is_attachment(child):
                    found += self.pieces(child)
            return found
        if kind in FORWARDED_TYPES:
            return self.forwarded(part)
        if part.data is None:
            return []  # not fetched: see body_parts_to_fetch
        if kind == "text/calendar":
            summary = invitation_summary(decode_bytes(part.data, part_charset(part) or "utf-8"))
            return [_Piece("block", summary, kind)] if summary else []
        if kind in BODY_TYPES and not is_attachment(part):
            text = _text(part, self.default_charset)
            return [_Piece("html" if kind == "text/html" else "text", text, kind)]
        return []

    def alternative(self, part: MimePart) -> list[_Piece]:
        """RFC 2046: the last alternative the reader can use wins; invitations ride along."""
        invitations = [p for c in part.parts if c.mime_type == "text/calendar" for p in self.pieces(c)]
        plain: list[_Piece] = []
        rich: list[_Piece] = []
        for child in part.parts:
            if child.mime_type == "text/calendar" or not (
                child.mime_type in BODY_TYPES or child.mime_type.startswith("multipart/")
            ):
                continue
            found = self.pieces(child)
            if any(p.kind == "html" for p in found):
                rich = found
            elif found:
                plain = found
        if self.format == "html" or not plain or not rich:
            return invitations + (rich or plain if self.format != "text" else plain or rich)
        text = clean_text("\n".join(p.content for p in plain))
        shown = " ".join(visible_text(p.content) for p in rich if p.kind == "html")
        if self.format == "auto" and _is_stub(text, shown):
            return invitations + rich
        differ = _word_difference(text, shown)
        if differ <= MAX_WORD_DIFFERENCE:
            return invitations + plain
        share = f"{differ:.0%} of their words"
        if self.format == "text":
            note = (
                f"This email's HTML part differs from this text part in {share}; format=auto shows the HTML."
            )
            return [*invitations, replace(plain[0], note=note), *plain[1:]]
        note = (
            f"This email's text part differs from its HTML part in {share}: showing the HTML, which is "
            "what mail apps display."
        )
        return [*invitations, replace(rich[0], note=note), *rich[1:]]

    def forwarded(self, part: MimePart) -> list[_Piece]:
        inner = part.parts[0] if part.parts else (parse_rfc822(part.data) if part.data else None)
        if inner is None:
            return []
        fmt: Format = "text" if self.format == "text" else "auto"
        body = _Reader(fmt, self.include_quoted, _first_charset(inner)).render(inner)
        lines = ["---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To", "Cc"):
            value = decode_header(inner.header(name))
            if value:
                lines.append(f"{name}: {value}")
        block = "\n".join(lines) + ("\n\n" + body.content if body.content else "")
        return [
            _Piece(
                "block",
                block,
                part.mime_type,
                body.quoted_lines_hidden,
                body.content_type == "markdown",
                body.note.replace("This email's", "The forwarded email's"),
            )
        ]

    def render(self, part: MimePart) -> Body:
        pieces = self.pieces(part)
        if self.format == "html":
            html = [p for p in pieces if p.kind == "html"]
            if html:
                return Body("\n".join(p.content for p in html), "html", "text/html")
        texts: list[str] = []
        hidden_total = 0
        for piece in pieces:
            if piece.kind == "html":
                rendered = render_html(piece.content, include_quoted=self.include_quoted)
                text, hidden = rendered.markdown, rendered.quoted_lines_hidden
            else:
                text, hidden = piece.content, piece.hidden if piece.kind == "block" else 0
            if not self.include_quoted and piece.kind != "block":
                text, more = fold_quoted(text, html=piece.kind == "html", quote_cut=hidden > 0)
                hidden += more
                if hidden:
                    text = f"{text}\n\n[{hidden} quoted lines hidden]"
            hidden_total += hidden
            if text.strip():
                texts.append(text)
        content = clean_text("\n\n".join(texts))
        content_type: Literal["text", "markdown"] = (
            "markdown" if any(p.kind == "html" or p.markdown for p in pieces) else "text"
        )
        source = next(
            (p.mime_type for p in pieces if p.kind != "block"), pieces[0].mime_type if pieces else ""
        )
        notes = dict.fromkeys(p.note for p in pieces if p.note)  # once each, in order
        return Body(content, content_type, source, hidden_total, " ".join(notes))


def extract_body(part: MimePart, *, format: Format = "auto", include_quoted: bool = False) -> Body:
    """The body a person would read, compact and faithful.

    "auto": text/plain unless it is a stub ("view this email in your browser", nearly empty next
    to the HTML), missing, or differs from the HTML's visible words by more than a fifth (then
    `note` says so: the person sees the HTML, the plain part may hide anything), else the HTML as
    Markdown. "text": text/plain when there is one (with that note when it differs), else
    Markdown. "html": the raw HTML (content_type "html") when there is one, else as "text".
    multipart/alternative takes the last usable alternative, multipart/mixed joins its inline text
    parts, multipart/related reads its root, message/rfc822 parts become "Forwarded message"
    blocks and text/calendar parts a one-line invitation. Parts whose data is None are skipped
    (fetch `body_parts_to_fetch` first). Unless `include_quoted`, trailing quoted history is
    replaced by "[N quoted lines hidden]" (never in a forward, judged by its subject: what looks
    like history there is the message passed on). The text passes through `clean_text`.
    """
    forward = bool(_FORWARD_SUBJECT.match(decode_header(part.header("Subject"))))
    return _Reader(format, include_quoted or forward, _first_charset(part)).render(part)


def _first_charset(part: MimePart) -> str | None:
    """The message's own charset, for a text part that declares none (some senders label one only)."""
    for node in part.walk():
        if node.mime_type.startswith("text/"):
            charset = part_charset(node)
            if charset:
                return charset
    return None


def _related_root(part: MimePart) -> MimePart:
    start = header_param(part.header("Content-Type"), "start").strip().strip("<>")
    if start:
        for child in part.parts:
            if content_id(child) == start:
                return child
    return part.parts[0]


def _is_stub(text: str, shown: str) -> bool:
    """A text/plain part that only points at the HTML (`shown`: the HTML's visible words)."""
    if not text:
        return True
    flat = " ".join(text.lower().split())
    if len(flat) < 500 and any(phrase in flat for phrase in _STUB_PHRASES):
        return True
    html_chars = len(shown.replace(" ", ""))
    return html_chars >= 200 and len("".join(text.split())) < html_chars // 10


# Plain and HTML alternatives should say the same; when more than this share of words differs, the
# plain part is not what the person sees in a mail app (a classic hiding place for instructions).
MAX_WORD_DIFFERENCE = 0.2
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S+", re.I)
# Chinese, Japanese and Korean are written without spaces: each character counts as a word there.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")


def _word_difference(text: str, shown: str) -> float:
    """The share of words of the longer side that the other side lacks (links aside: text parts
    spell out the URLs the HTML puts behind its words)."""
    words = [Counter(_WORD.findall(_URL.sub(" ", side).lower())) for side in (text, shown)]
    longer = max(sum(words[0].values()), sum(words[1].values()))
    return 1 - sum((words[0] & words[1]).values()) / longer if longer else 0.0


# --- quoted history in text ----------------------------------------------------------------------

# The verb ends the line in most languages ("X wrote:"); German puts the name after it ("schrieb X:").
_WROTE = re.compile(
    r"(wrote|schrieb|a écrit|escribió|ha scritto|scrisse|escreveu|skrev|schreef|kirjoitti|napisał\(a\)|"
    r"napisał|napisal|написал\(а\)|написала|написал|írta|έγραψε|yazdı|写道|寫道|が書きました)"
    r"[^:：\n]{0,80}[:：]\s*$",
    re.I,
)
_ORIGINAL = re.compile(
    r"^[\s>*_]*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|originalmeddelande)\s*-{2,}[\s*_]*$",
    re.I,
)
_FROM_LINE = re.compile(r"^[*_]*(from|von|de|da|van|från|od|fra)[*_]*\s*:", re.I)
_SENT_LINE = re.compile(
    r"^[*_]*(sent|gesendet|envoyé|enviado|inviato|verzonden|skickat|sendt|wysłano)[*_]*\s*:", re.I
)
_SEPARATOR = re.compile(r"^[\s*_]*_{10,}[\s*_]*$")
_OPENER = re.compile(r"^\s*(on|le|am|el|il|em|op|den|dne|w dniu|på|\d)\b", re.I)


def fold_quoted(text: str, *, html: bool = False, quote_cut: bool = False) -> tuple[str, int]:
    """Cut trailing quoted history from text or Markdown; return the rest and how many lines with
    words in them were cut (bare ">" and rule lines do not count).

    Recognised: an Outlook "-----Original Message-----" line or From:/Sent: header block (and all
    that follows), or a trailing run of ">" lines with the "On ..., X wrote:" line above it. For
    Markdown rendered from HTML (`html`), a trailing ">" block counts only with that attribution
    (a plain <blockquote> may be content); `quote_cut` says the quote itself was already cut from
    the HTML, so a bare attribution left at the end goes too. Nothing is cut when nothing of the
    author's own would remain.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = _outlook_start(lines, end)
    if start is None:
        quote = end
        while quote and (lines[quote - 1].lstrip().startswith(">") or not lines[quote - 1].strip()):
            quote -= 1
        start = _attribution_start(lines, quote) if quote < end or quote_cut else end
        if html and start == quote:
            start = end
    if start >= end or not any(line.strip() for line in lines[:start]):
        return text, 0
    hidden = sum(1 for line in lines[start:end] if any(ch.isalnum() for ch in line))
    return "\n".join(lines[:start]).rstrip(), hidden


def _outlook_start(lines: list[str], end: int) -> int | None:
    for i in range(end):
        if _ORIGINAL.match(lines[i]):
            return i
        if _FROM_LINE.match(lines[i].lstrip("> ")) and any(
            _SENT_LINE.match(line.lstrip("> ")) for line in lines[i + 1 : i + 5]
        ):
            above = i
            while above and not lines[above - 1].strip():
                above -= 1
            return above - 1 if above and _SEPARATOR.match(lines[above - 1]) else i
    return None


def _attribution_start(lines: list[str], quote: int) -> int:
    """Widen a cut upwards over its "On <date>, <x> wrote:" line, which clients wrap over up to 3 lines."""
    above = quote
    while above and not lines[above - 1].strip():
        above -= 1
    if not (above and _WROTE.search(lines[above - 1])):
        return quote
    for span in (3, 2):  # the widest span that starts like an attribution
        if above - span >= 0 and _OPENER.match(lines[above - span]):
            return above - span
    return above - 1


# --- calendar invitations ----------------------------------------------------------------------


def invitation_summary(ics: str) -> str:
    """One line for the first event of an iCalendar text: what, when, where, who invites.

    "Invitation: <SUMMARY> — <start> to <end> — <LOCATION> — organizer <x>" ("Cancelled:" for
    METHOD:CANCEL, "Invitation reply:" for METHOD:REPLY); "" when there is no event.
    """
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    method = ""
    event: dict[str, tuple[dict[str, str], str]] = {}
    in_event = False
    for line in unfolded.splitlines():
        name, params, value = _ics_line(line)
        if name == "METHOD":
            method = value.upper()
        elif (name, value.upper()) == ("BEGIN", "VEVENT"):
            in_event = True
        elif (name, value.upper()) == ("END", "VEVENT") and in_event:
            break
        elif in_event and name not in event:
            event[name] = (params, value)
    if not in_event:
        return ""
    start, end = (_ics_time(*event[k]) if k in event else "" for k in ("DTSTART", "DTEND"))
    when = f"{start} to {end}" if start and end else start
    organizer = ""
    if "ORGANIZER" in event:
        params, value = event["ORGANIZER"]
        address = re.sub(r"^mailto:", "", value, flags=re.I)
        organizer = f"organizer {params['CN']} <{address}>" if params.get("CN") else f"organizer {address}"
    fields = [
        _ics_text(event["SUMMARY"][1]) if "SUMMARY" in event else "(no title)",
        when,
        _ics_text(event["LOCATION"][1]) if "LOCATION" in event else "",
        organizer,
    ]
    label = {"CANCEL": "Cancelled", "REPLY": "Invitation reply"}.get(method, "Invitation")
    return f"{label}: " + " — ".join(f for f in fields if f)


def _ics_line(line: str) -> tuple[str, dict[str, str], str]:
    """NAME;PARAM=VALUE;...:VALUE, with colons inside quoted parameter values respected."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            head, value = line[:i], line[i + 1 :]
            break
    else:
        return "", {}, ""
    name, *raw_params = head.split(";")
    params = {}
    for raw in raw_params:
        key, _, val = raw.partition("=")
        params[key.strip().upper()] = val.strip().strip('"')
    return name.strip().upper(), params, value.strip()


def _ics_text(value: str) -> str:
    replaced = re.sub(r"\\([nN,;\\])", lambda m: " " if m.group(1) in "nN" else m.group(1), value)
    return " ".join(replaced.split())


def _ics_time(params: dict[str, str], value: str) -> str:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})\d{2}(Z?))?", value)
    if not match:
        return value
    year, month, day, hour, minute, utc = match.groups()
    text = f"{year}-{month}-{day}"
    if hour is not None:
        text += f" {hour}:{minute}"
        zone = "UTC" if utc else params.get("TZID", "")
        text += f" ({zone})" if zone else ""
    return text

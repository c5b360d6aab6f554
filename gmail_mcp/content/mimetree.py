"""The MIME tree of a message: parsing raw mail, reading a part's headers, finding attachments.

Pure functions: `parse_rfc822` builds the same `MimePart` tree the Gmail backend builds from
`payload`, so everything downstream works on both. Re-exported by `mime.py`.
"""

from __future__ import annotations

import email
import mimetypes
import re
import urllib.parse
from email import policy
from email.message import Message

from gmail_mcp.content.charsets import decode_bytes, decode_header, decode_surrogates
from gmail_mcp.models import AttachmentInfo, Header, MimePart

__all__ = [
    "BODY_TYPES",
    "FORWARDED_TYPES",
    "content_id",
    "decode_addresses",
    "disposition",
    "format_address",
    "header_param",
    "is_attachment",
    "list_attachments",
    "parse_rfc822",
    "part_charset",
    "part_filename",
    "split_addresses",
]

BODY_TYPES = ("text/plain", "text/html")
FORWARDED_TYPES = ("message/rfc822", "message/global")
_ADDRESS_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "reply-to", "sender", "delivered-to", "return-path"}
    | {"resent-from", "resent-to", "resent-cc", "resent-sender"}
)
_RAW_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})
_NAME_AND_ADDRESS = re.compile(r"(.*?)\s*<\s*([^<>\s]*)\s*>\s*", re.S)
_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200}?)[ \t]*\r?$", re.M)
_RFC2231_VALUE = re.compile(r"([A-Za-z0-9_.:-]+)'[A-Za-z0-9-]*'(.*%[0-9A-Fa-f]{2}.*)")


# --- parsing raw mail ----------------------------------------------------------------------------


def parse_rfc822(raw: bytes) -> MimePart:
    """Parse raw RFC 822 bytes into the domain MIME tree, with part ids as Gmail numbers them.

    The root is "", its children "0", "1", their children "0.0"...; a message/rfc822 part has the
    forwarded message's root as its only child. Header values are decoded for display (address
    headers keep their structure, Content-* headers stay raw), filenames are decoded (RFC 2231 and
    2047), bodies are transfer-decoded bytes in their own charset. Never raises: the standard
    library's default policy first, compat32 for mail it chokes on, the bytes as plain text last.
    """
    return _parse_bytes(raw, "")


def _parse_bytes(raw: bytes, part_id: str) -> MimePart:
    raw = raw.lstrip(b"\r\n\t ")
    if raw.startswith(b"From "):  # an mbox envelope line, not a header
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    for parse_policy in (policy.default, policy.compat32):
        try:
            return _to_part(email.message_from_bytes(raw, policy=parse_policy), part_id)
        except Exception:  # the stdlib raises a zoo of errors on broken mail; try the next policy
            continue
    return MimePart(part_id=part_id, mime_type="text/plain", data=raw, size=len(raw))


def _to_part(msg: Message, part_id: str) -> MimePart:
    headers = tuple(Header(name=str(n), value=_display_value(str(n), str(v))) for n, v in msg.raw_items())
    mime_type = msg.get_content_type().lower()
    payload = msg.get_payload()
    inner = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else None
    children: tuple[MimePart, ...] = ()
    data: bytes | None = None
    if mime_type.startswith("message/") and mime_type != "message/delivery-status":
        if inner:
            children = (_to_part(inner[0], _child_id(part_id, 0)),)
            data = _as_bytes(inner[0])
        else:  # e.g. a base64-encoded message/rfc822, which the parser leaves alone
            data = _leaf_bytes(msg)
            children = (_parse_bytes(data, _child_id(part_id, 0)),) if data else ()
    elif inner is not None and mime_type.startswith("multipart/"):
        inner += _parts_after_the_end(msg)
        children = tuple(_to_part(child, _child_id(part_id, i)) for i, child in enumerate(inner))
    elif inner is not None:  # message/delivery-status: blocks of fields, kept as their text
        data = b"\n".join(_as_bytes(block) for block in inner)
    else:
        data = _leaf_bytes(msg)
        if mime_type.startswith("multipart/"):
            recovered = _with_found_boundary(mime_type, data, part_id)
            if recovered is not None:
                return recovered.model_copy(update={"headers": headers})
            mime_type = "text/plain"  # no usable boundary: show what is there rather than nothing
    return MimePart(
        part_id=part_id,
        mime_type=mime_type,
        filename=_filename_from_headers(headers),
        headers=headers,
        size=len(data) if data is not None else 0,
        data=data,
        parts=children,
    )


def _parts_after_the_end(msg: Message) -> list[Message]:
    """Parts after the closing delimiter, which broken mailers write when a nested multipart
    reuses its parent's boundary (the inner close ends the outer too); a reader shows them."""
    boundary = msg.get_boundary()
    epilogue = msg.epilogue or ""
    if not boundary or f"--{boundary}" not in epilogue:
        return []
    head = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    try:
        tail = email.message_from_bytes(
            (head + epilogue).encode("utf-8", "surrogateescape"), policy=policy.compat32
        )
    except Exception:
        return []
    payload = tail.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _with_found_boundary(mime_type: str, body: bytes, part_id: str) -> MimePart | None:
    """Re-parse a multipart whose declared boundary never occurs, with the one its body uses."""
    match = _BOUNDARY_LINE.search(body)
    if match is None:
        return None
    token = match.group(1)
    # Spam kits close with yet another boundary: end the parts where that line stands.
    body = re.sub(rb"^--\S+--[ \t]*\r?$", lambda m: b"--" + token + b"--", body, flags=re.M)
    boundary = token.decode("ascii", "replace").replace('"', "")
    head = f'Content-Type: {mime_type}; boundary="{boundary}"\r\n\r\n'.encode()
    try:
        msg = email.message_from_bytes(head + body, policy=policy.compat32)
    except Exception:
        return None
    return _to_part(msg, part_id) if isinstance(msg.get_payload(), list) else None


def _child_id(part_id: str, index: int) -> str:
    return f"{part_id}.{index}" if part_id else str(index)


def _leaf_bytes(msg: Message) -> bytes:
    try:
        data = msg.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = msg.get_payload()
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _as_bytes(msg: Message) -> bytes:
    """A forwarded message's bytes, with RFC 5322's CRLF line ends (what an .eml download holds)."""
    for generator_policy in (policy.SMTP, policy.compat32.clone(linesep="\r\n")):
        try:
            return msg.as_bytes(policy=generator_policy)
        except Exception:
            continue
    return b""


def _display_value(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in _RAW_HEADERS:  # unfolded only: a filename parameter keeps its spaces
        return re.sub(r"\r?\n(?=[ \t])", "", decode_surrogates(value)).strip()
    if lowered in _ADDRESS_HEADERS:
        return ", ".join(format_address(n, a) for n, a in decode_addresses(value)) or decode_header(value)
    return decode_header(value)


def decode_addresses(value: str | None) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, names decoded (RFC 2047, 8-bit bytes).

    Works on raw values and on values Gmail already decoded. Tolerates what real mail does: an
    address as the display name (`a@x.example <b@y.example>`), an unquoted comma in a decoded name
    (`Doe, John <j@x.example>`). Entries without an address are dropped.
    """
    if not value:
        return []
    found: list[tuple[str, str]] = []
    pending = ""  # a name fragment cut off by a comma that was part of the name
    for entry in split_addresses(decode_surrogates(re.sub(r"\r?\n[ \t]", " ", value))):
        match = _NAME_AND_ADDRESS.fullmatch(entry)
        if match and "@" in match.group(2):
            name = f"{pending}, {match.group(1)}" if pending else match.group(1)
            found.append((_unquote(decode_header(name)), match.group(2).strip()))
            pending = ""
        elif "@" in entry and not pending:
            found.append(("", entry.strip().strip("<>")))
        else:
            pending = f"{pending}, {entry}" if pending else entry
    return found


def split_addresses(text: str) -> list[str]:
    """Split an address list on commas and semicolons outside quotes and angle brackets."""
    entries: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    depth = 0
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in "<>":
            depth = max(0, depth + (1 if ch == "<" else -1))
        elif not quoted and depth == 0 and ch in ",;":
            entries.append("".join(current))
            current = []
            continue
        current.append(ch)
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    return " ".join(name.split())


def format_address(name: str, address: str) -> str:
    """An address for display, the name quoted when it holds specials (`"Doe, J" <j@x.example>`)."""
    if not name:
        return address
    if re.search(r'[()<>@,;:\\".\[\]]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


# --- headers and parameters of a part -------------------------------------------------------------


def _params(value: str) -> Message:
    """A scratch message holding one Content-* value, for the stdlib's parameter parsing (RFC 2231)."""
    scratch = Message()
    scratch["Content-Type"] = value.replace("\r", " ").replace("\n", " ")
    return scratch


def header_param(value: str | None, name: str) -> str:
    """A parameter of a Content-Type/Content-Disposition value, RFC 2231 decoded ("" if absent)."""
    if not value:
        return ""
    try:
        # unquote=False: the stdlib's unquote also strips <...>, so "<draft>" would lose its brackets.
        raw = _params(value).get_param(name, unquote=False)
    except Exception:
        return ""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, percent-decoded latin-1 text)
        charset, _language, text = raw
        return decode_bytes(_unquote_param(text).encode("latin-1", "replace"), charset or None)
    return _unquote_param(str(raw))


def _unquote_param(value: str) -> str:
    """A parameter value without its double quotes and backslash escapes."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _filename_from_headers(headers: tuple[Header, ...]) -> str:
    values = {h.name.lower(): h.value for h in reversed(headers)}
    name = header_param(values.get("content-disposition"), "filename") or header_param(
        values.get("content-type"), "name"
    )
    return _decode_filename(name)


def _decode_filename(name: str) -> str:
    """RFC 2231 `charset''%xx` leftovers and RFC 2047 words, then invisible and bidi characters out."""
    match = _RFC2231_VALUE.fullmatch(name.strip())
    if match:
        name = decode_bytes(urllib.parse.unquote_to_bytes(match.group(2)), match.group(1))
    return decode_header(name)


def part_filename(part: MimePart) -> str:
    """The part's filename, decoded: the backend's when it gave one, else from its headers."""
    return _decode_filename(part.filename) if part.filename else _filename_from_headers(part.headers)


def disposition(part: MimePart) -> str:
    """The disposition type, lower-case: "attachment", "inline", or "" when there is none."""
    value = part.header("Content-Disposition") or ""
    return value.split(";", 1)[0].strip().lower()


def part_charset(part: MimePart) -> str | None:
    """The charset its Content-Type declares, or None."""
    return header_param(part.header("Content-Type"), "charset") or None


def content_id(part: MimePart) -> str | None:
    """The Content-ID without its angle brackets (what cid: URLs name), or None."""
    value = (part.header("Content-ID") or "").strip().strip("<>").strip()
    return value or None


def is_attachment(part: MimePart) -> bool:
    """Sent as a file: `Content-Disposition: attachment` or a filename."""
    return disposition(part) == "attachment" or bool(part_filename(part))


# --- attachments ------------------------------------------------------------------------------


def list_attachments(part: MimePart) -> list[AttachmentInfo]:
    """Every attachment of a message, in document order; not the body parts themselves.

    Parts with a filename or `Content-Disposition: attachment`, inline images (inline=True and their
    Content-ID without <>), forwarded messages (named from the part, else "<inner subject>.eml"; the
    parts inside them are not listed separately), calendar invitations ("invite.ics" when unnamed)
    and any other non-text leaf; nested multiparts are walked. Size is the decoded size.
    """
    found: list[AttachmentInfo] = []
    _collect(part, "", found)
    return found


def _collect(part: MimePart, parent_type: str, found: list[AttachmentInfo]) -> None:
    kind = part.mime_type
    if kind.startswith("multipart/"):
        # A container is never a file, even one whose parts could not be split out.
        for child in part.parts:
            _collect(child, kind, found)
        return
    name = part_filename(part)
    if kind.startswith("message/"):
        inner_subject = decode_header(part.parts[0].header("Subject")) if part.parts else ""
        name = name or _safe_name(inner_subject or "message", ".eml" if kind in FORWARDED_TYPES else ".txt")
    elif kind == "text/calendar":
        name = name or "invite.ics"
    elif not (name or disposition(part) == "attachment") and (
        kind.startswith("text/") and (kind in BODY_TYPES or parent_type == "multipart/alternative")
    ):
        return  # a body, or another rendering of it
    name = name or f"attachment-{part.part_id or '0'}{mimetypes.guess_extension(kind) or ''}"
    how = disposition(part)
    cid = content_id(part)
    found.append(
        AttachmentInfo(
            filename=name,
            mime_type=kind,
            size=len(part.data) if part.data is not None else part.size,
            attachment_id=part.attachment_id,
            part_id=part.part_id,
            inline=how == "inline" or (not how and cid is not None and kind.startswith("image/")),
            content_id=cid,
            charset=part_charset(part),
        )
    )


def _safe_name(stem: str, suffix: str) -> str:
    stem = " ".join(re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", stem).split()).strip(" .")[:120] or "message"
    return stem + suffix

"""What Gmail does to a message it sends: check recipients, add From/Date/Message-ID, drop Bcc.

Header edits are made on the bytes of the header block only, so the body (and any signature
over it) reaches the mailbox exactly as the client wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime, formataddr, getaddresses, parsedate_to_datetime

from gmail_mcp.sandbox.apierror import invalid
from gmail_mcp.sandbox.mimetext import decode_header

MAX_RAW_BYTES = 36_700_160  # 35 MB, Gmail's limit for messages.send and drafts
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def read_headers(raw: bytes) -> Message:
    """The header block only (cheap, and forgiving like the full parser)."""
    return BytesHeaderParser(policy=compat32).parsebytes(raw)


def header(headers: Message, name: str) -> str:
    """The decoded first value of a header, or ''."""
    value = headers.get_all(name)
    return decode_header(str(value[0])) if value else ""


def joined(headers: Message, name: str) -> str:
    """Every value of a header, decoded and joined with commas (some mail repeats To or Cc)."""
    return ", ".join(decode_header(str(v)) for v in headers.get_all(name) or [])


def message_id_of(headers: Message) -> str:
    """The Message-ID without angle brackets, as search and threading compare it."""
    return header(headers, "Message-ID").strip().strip("<>").strip()


def referenced_ids(headers: Message) -> list[str]:
    """Message-IDs a message replies to: In-Reply-To first, then References newest first."""
    found: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids = re.findall(r"<([^<>\s]+)>", header(headers, name))
        found.extend(ids if name == "In-Reply-To" else reversed(ids))
    return found


def thread_subject(subject: str) -> str:
    """A subject without its Re:/Fwd: prefixes, for Gmail's "subject must match" threading rule."""
    return _REPLY_PREFIX.sub("", subject).strip().casefold()


def internal_date_ms(headers: Message, fallback_ms: int) -> int:
    """Epoch ms from the Date header, or the fallback when there is no usable one."""
    value = header(headers, "Date")
    if not value:
        return fallback_ms
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return fallback_ms
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return int(when.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        return fallback_ms


@dataclass(frozen=True)
class Envelope:
    """Who a sent message went to (Bcc included, though the stored copy loses it)."""

    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str

    def recipients(self) -> tuple[str, ...]:
        """Every address the message is delivered to."""
        return self.to + self.cc + self.bcc


def _addresses(headers: Message, name: str) -> tuple[str, ...]:
    # Split the addresses before decoding encoded words: a decoded display name may hold ")" or ",".
    values = [str(v) for v in headers.get_all(name) or []]
    found = []
    for _display, address in getaddresses(values):
        if not address:
            continue
        if address.count("@") != 1 or any(ch.isspace() for ch in address) or address.startswith("@"):
            raise invalid(f"Invalid {name} header")
        found.append(address)
    return tuple(found)


def envelope(headers: Message, sender: str) -> Envelope:
    """Recipients of an outgoing message sent as `sender`; 400 for none or for an unparseable address."""
    result = Envelope(
        sender=sender,
        to=_addresses(headers, "To"),
        cc=_addresses(headers, "Cc"),
        bcc=_addresses(headers, "Bcc"),
        subject=header(headers, "Subject"),
    )
    if not result.recipients():
        raise invalid("Recipient address required")
    return result


def _split(raw: bytes) -> tuple[list[bytes], bytes, bytes]:
    """Header fields (each with its folded lines), the line ending, and the rest (blank line + body)."""
    newline = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    cut = min(ends) if ends else len(raw)
    head, rest = raw[:cut], raw[cut:]
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    if fields and not fields[-1].endswith(b"\n"):
        fields[-1] += newline
    if rest.startswith(b"\r\n"):
        rest = rest[2:]
    elif rest.startswith(b"\n"):
        rest = rest[1:]
    return fields, newline, rest


def rewrite_headers(raw: bytes, add: list[tuple[str, str]], drop: frozenset[str]) -> bytes:
    """Prepend header fields and remove others by name, leaving every other byte as it was."""
    fields, newline, rest = _split(raw)
    kept = [f for f in fields if f.split(b":", 1)[0].strip().decode("latin-1").lower() not in drop]
    added = [f"{name}: {value}".encode() + newline for name, value in add]
    return b"".join(added + kept) + rest


def prepare_for_sending(
    raw: bytes,
    *,
    owner: str,
    owner_name: str,
    now_s: float,
    message_id: str,
    replace_message_id: bool,
    may_send_as: Callable[[str], bool] = lambda address: False,
) -> tuple[bytes, Envelope]:
    """Gmail's send-time rewrite: From if absent, Date, Bcc removed, and its own Message-ID in
    place of the client's (only when absent with `replace_message_id` off).

    A From naming anything but one address the account may send as (`may_send_as`: its verified
    send-as addresses) is replaced by the primary address, as Gmail does.
    """
    headers = read_headers(raw)
    sender = formataddr((owner_name, owner)) if owner_name else owner
    written = [str(v) for v in headers.get_all("From") or []]
    addresses = [address for _name, address in getaddresses(written)]
    kept = len(written) == 1 and len(addresses) == 1 and may_send_as(addresses[0])
    result = envelope(headers, header(headers, "From") if kept else sender)
    add: list[tuple[str, str]] = []
    drop = {"bcc"}
    if not kept:
        add.append(("From", sender))
        drop.add("from")
    if not headers.get_all("Date"):
        add.append(("Date", format_datetime(datetime.fromtimestamp(now_s, UTC))))
    if replace_message_id or not message_id_of(headers):
        add.append(("Message-ID", message_id))
        drop.add("message-id")  # the client's (or an empty one) would otherwise stay beside ours
    return rewrite_headers(raw, add, frozenset(drop)), result

"""Message and thread ids over IMAP: opaque strings to the tools, stable while the message stays put.

On Gmail the ids are Gmail's own: X-GM-MSGID and X-GM-THRID in hexadecimal, the very ids the REST
API and the web interface use. Elsewhere a message is named by its folder, the folder's
UIDVALIDITY and its UID (`<uidvalidity>.<uid>.<folder in base32>`): a new UIDVALIDITY means the
server renumbered the folder, and the old id is then reported as not found, never confused with
another message. A thread is named after the first Message-ID of its References (its root), which
its id carries (`t.<root in base32>`), so any later session can look the thread up.
Every id an agent hands back is hostile input, checked here before it reaches the server.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from gmail_mcp.errors import InvalidParamsError

_LOCATED = re.compile(r"^(?P<validity>[0-9]{1,10})\.(?P<uid>[0-9]{1,10})\.(?P<folder>[a-z2-7]{1,400})$")
_GMAIL_HEX = re.compile(r"^[0-9a-f]{1,16}$")
_THREAD = re.compile(r"^t\.(?P<root>[a-z2-7]{1,1600})$")
_MESSAGE_ID = re.compile(r"<[^<>\s\x00-\x1f\x7f]{1,900}>")


@dataclass(frozen=True)
class Located:
    """A message on a server without Gmail's extensions: where it is."""

    folder: str
    uidvalidity: int
    uid: int

    def encode(self) -> str:
        return f"{self.uidvalidity}.{self.uid}.{_b32(self.folder)}"


def parse_located(message_id: str, field: str = "email_id") -> Located:
    """The folder, UIDVALIDITY and UID an id names.

    Raises:
        InvalidParamsError: not an id this server handed out.
    """
    match = _LOCATED.fullmatch(message_id.strip())
    if match:
        folder = _unb32(match["folder"])
        if folder and int(match["uid"]) > 0 and "\x00" not in folder:
            return Located(folder, int(match["validity"]), int(match["uid"]))
    raise InvalidParamsError(
        f"{message_id!r} is not an email id of this mailbox; take ids from list or search results.",
        **{field: message_id},
    )


def gmail_id(value: int) -> str:
    """X-GM-MSGID or X-GM-THRID as the hexadecimal id Gmail's API and web interface use."""
    return format(value, "x")


def parse_gmail_id(message_id: str, field: str = "email_id") -> int:
    """The X-GM-MSGID (or X-GM-THRID) of a hexadecimal Gmail id.

    Raises:
        InvalidParamsError: not a Gmail id.
    """
    text = message_id.strip().lower()
    if _GMAIL_HEX.fullmatch(text):
        return int(text, 16)
    raise InvalidParamsError(
        f"{message_id!r} is not a Gmail email id (hexadecimal); take ids from list or search results.",
        **{field: message_id},
    )


def thread_root(message_id: str, in_reply_to: str, references: str) -> str:
    """The Message-ID a conversation is named after: the first of References, else In-Reply-To, else its own."""
    for header in (references, in_reply_to, message_id):
        found = _MESSAGE_ID.search(header or "")
        if found:
            return found.group(0)
    return ""


def thread_id_for(root: str, fallback: str) -> str:
    """The id of the thread rooted at Message-ID `root`; a message without any Message-ID is its own thread."""
    if not root:
        return fallback
    return "t." + _b32(root.strip("<>"))


def parse_thread(thread_id: str) -> str | None:
    """The root Message-ID (with its angle brackets) a thread id names, or None if it names none."""
    match = _THREAD.fullmatch(thread_id.strip())
    root = _unb32(match["root"]) if match else ""
    return f"<{root}>" if root and _MESSAGE_ID.fullmatch(f"<{root}>") else None


def _b32(text: str) -> str:
    return base64.b32encode(text.encode("utf-8")).decode("ascii").rstrip("=").lower()


def _unb32(token: str) -> str:
    token = token.upper()
    try:
        return base64.b32decode(token + "=" * (-len(token) % 8)).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""


def is_message_id(value: str) -> bool:
    """Whether `value` is one Message-ID in angle brackets, with nothing that could break a command."""
    return bool(_MESSAGE_ID.fullmatch(value.strip()))

"""Loading real mail into a mailbox: one .eml, a folder of them (recursive) or an mbox.

Google Takeout's mbox marks each message's labels in ``X-Gmail-Labels``; system ones (Inbox,
Sent, Starred, Unread, Category Updates, ...) map to Gmail's label ids and the rest become user
labels, created on the fly. Mail without that header lands in INBOX. Messages are added oldest
first so replies find the message they answer and join its thread.
"""

from __future__ import annotations

import csv
import mailbox as mboxlib
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.sandbox.apierror import ApiError
from gmail_mcp.sandbox.mimetext import decode_header
from gmail_mcp.sandbox.outgoing import header, internal_date_ms, read_headers

if TYPE_CHECKING:
    from gmail_mcp.sandbox.store import Mailbox

_TAKEOUT_SYSTEM = {
    "inbox": "INBOX",
    "sent": "SENT",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "unread": "UNREAD",
    "spam": "SPAM",
    "trash": "TRASH",
    "bin": "TRASH",
    "draft": "DRAFT",
    "drafts": "DRAFT",
    "chat": "CHAT",
    "category personal": "CATEGORY_PERSONAL",
    "category social": "CATEGORY_SOCIAL",
    "category promotions": "CATEGORY_PROMOTIONS",
    "category updates": "CATEGORY_UPDATES",
    "category forums": "CATEGORY_FORUMS",
}
_TAKEOUT_IGNORED = {"opened", "archived"}  # states, not labels: read, and not in the inbox


def takeout_labels(value: str) -> tuple[list[str], list[str]]:
    """System label ids and user label names from an X-Gmail-Labels value (names may be quoted)."""
    system: list[str] = []
    user: list[str] = []
    for row in csv.reader([decode_header(value)], skipinitialspace=True):
        for name in (n.strip() for n in row):
            key = name.casefold()
            if not name or key in _TAKEOUT_IGNORED:
                continue
            if key in _TAKEOUT_SYSTEM:
                system.append(_TAKEOUT_SYSTEM[key])
            else:
                user.append(name)
    return system, user


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() in (".mbox", ".mbx"):
        return True
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def _read_all(path: Path) -> list[bytes]:
    if path.is_dir():
        return [p.read_bytes() for p in sorted(path.rglob("*.eml")) if p.is_file()]
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if _is_mbox(path):
        box = mboxlib.mbox(str(path), create=False)
        try:
            return [box.get_bytes(key) for key in box.iterkeys()]
        finally:
            box.close()
    return [path.read_bytes()]


def load_into(mailbox: Mailbox, path: Path) -> int:
    """Add every message found at `path` (the caller holds the mailbox lock); returns how many."""
    now = mailbox.now_ms()
    entries = []
    for raw in _read_all(path):
        headers = read_headers(raw)
        entries.append((internal_date_ms(headers, now), raw, header(headers, "X-Gmail-Labels")))
    entries.sort(key=lambda entry: entry[0])
    for when, raw, gmail_labels in entries:
        if gmail_labels:
            system, user = takeout_labels(gmail_labels)
            label_ids = list(dict.fromkeys(system))
            for name in user:
                try:
                    label_ids.append(mailbox.labels.ensure(name))
                except ApiError:  # a name Gmail reserves ("Sent Mail", ...) is not a user label
                    continue
        else:
            label_ids = ["INBOX"]
        mailbox.add(raw, label_ids, when)
    return len(entries)

"""Loading real mail into a mailbox: one .eml, a folder of them (recursive) or an mbox.

Google Takeout's mbox marks each message's labels in ``X-Gmail-Labels``; system ones (Inbox,
Sent, Starred, Unread, Category Updates, ...) map to Gmail's label ids and the rest become user
labels, created on the fly. Mail without that header lands in INBOX, read except the newest few
(so an agent's triage has something to do). Messages are added oldest first so replies find the
message they answer and join its thread. Reading the source, and what is refused, is `sources`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.sandbox.apierror import ApiError
from gmail_mcp.sandbox.mimetext import decode_header
from gmail_mcp.sandbox.outgoing import header, internal_date_ms
from gmail_mcp.sandbox.sources import Skipped, read_source, shown

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


@dataclass(frozen=True)
class LoadReport:
    """What a load added: messages, how many are unread, the user labels given, and what was skipped."""

    messages: int
    unread: int
    labels: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    ignored: int

    def lines(self, source: Path, limit: int = 10) -> list[str]:
        """The report for a person: one summary line, then one line per skipped file (up to `limit`)."""
        labels = f"; labels: {', '.join(shown(label) for label in self.labels)}" if self.labels else ""
        lines = [
            f"loaded {_count(self.messages, 'message')} ({self.unread} unread) from {shown(source)}{labels}"
        ]
        if self.skipped:
            lines.append(f"skipped {_count(len(self.skipped), 'message')} that could not be loaded:")
            lines += [f"  {item.origin}: {item.why}" for item in self.skipped[:limit]]
            if len(self.skipped) > limit:
                lines.append(f"  ... and {len(self.skipped) - limit} more")
        if self.ignored:
            lines.append(f"left out {_count(self.ignored, 'file')} not named .eml")
        return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def load_into(mailbox: Mailbox, path: Path, *, unread: int = 0) -> LoadReport:
    """Add every message found at `path` (the caller holds the mailbox lock).

    Mail with Takeout labels gets them (its "Unread" label says whether it is unread); other mail
    lands in INBOX, read, except the `unread` newest of everything loaded.

    Raises:
        LoadError: nothing at `path` can be loaded.
    """
    source = read_source(path)
    entries = sorted(
        ((internal_date_ms(found.headers, found.fallback_ms), found) for found in source.found),
        key=lambda entry: entry[0],
    )
    newest = {id(found) for _, found in entries[len(entries) - max(unread, 0) :]}
    named: dict[str, None] = {}  # the user labels given, in order of first use
    unread_count = 0
    for when, found in entries:
        gmail_labels = header(found.headers, "X-Gmail-Labels")
        if gmail_labels:
            system, user = takeout_labels(gmail_labels)
            label_ids = list(dict.fromkeys(system))
            for name in user:
                try:
                    label_ids.append(mailbox.labels.ensure(name))
                except ApiError:  # a name Gmail reserves ("Sent Mail", ...) is not a user label
                    continue
                named.setdefault(name)
        else:
            label_ids = ["INBOX", "UNREAD"] if id(found) in newest else ["INBOX"]
        unread_count += "UNREAD" in label_ids
        mailbox.add(found.raw, label_ids, when)
    return LoadReport(len(entries), unread_count, tuple(named), tuple(source.skipped), source.ignored)

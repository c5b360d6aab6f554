"""Loading real mail into a mailbox: one .eml, a folder of them (recursive) or an mbox.

Google Takeout's mbox marks each message's labels in ``X-Gmail-Labels``; system ones (Inbox,
Sent, Starred, Unread, Category Updates, ...) map to Gmail's label ids and the rest become user
labels, created on the fly. Mail without that header lands in INBOX, read except the newest few
(so an agent's triage has something to do). Messages are added oldest first so replies find the
message they answer and join its thread. Reading the source, and what is refused, is `sources`.

A whole account written as files (the demo mailbox, `seed_mailbox/`) is a folder of .eml files and
a ``manifest.toml`` that says what the bytes cannot: the owner, the user labels and their colours,
each message's labels and internal date, and which files are drafts. `read_seed` reads one.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.sandbox.apierror import ApiError
from gmail_mcp.sandbox.labels import SYSTEM_LABELS
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


# ----- a whole account written as files: manifest.toml beside the .eml files ----------------------

MANIFEST = "manifest.toml"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
# A path inside the folder: plain names joined by "/", so none can climb out ("..") or be absolute.
_INSIDE = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)*\.eml", re.ASCII)


@dataclass(frozen=True)
class SeedMessage:
    """One stored message: its raw RFC 822 bytes and the labels it carries."""

    raw: bytes  # the complete RFC 822 message, as stored (the seed's files use CRLF line endings)
    system_labels: tuple[str, ...]  # Gmail system label ids (INBOX, UNREAD, SENT, CATEGORY_..., ...)
    user_labels: tuple[str, ...] = ()  # user label display names, e.g. ("Work/Projects",)
    internal_date_ms: int = 0  # epoch ms; Gmail's internalDate (when it was received)


@dataclass(frozen=True)
class SeedLabel:
    """A user label and its Gmail palette colours."""

    name: str
    text_color: str | None = None
    background_color: str | None = None


@dataclass(frozen=True)
class SeedSendAs:
    """A send-as address ("Send mail as"): the primary's signature, or a custom "from" address."""

    email: str
    display_name: str = ""
    signature: str = ""  # HTML, as Gmail keeps it
    verification: str = "accepted"  # "accepted" (usable) or "pending"


@dataclass(frozen=True)
class SeedData:
    """Everything a new mailbox holds."""

    owner: str
    owner_name: str
    labels: tuple[SeedLabel, ...]
    messages: tuple[SeedMessage, ...]  # in chronological order (oldest first)
    drafts: tuple[bytes, ...]  # raw RFC 822 drafts (the store gives them the DRAFT label)
    send_as: tuple[SeedSendAs, ...] = ()


def read_seed(root: Traversable) -> SeedData:
    """The mailbox that `root/manifest.toml` describes, with the bytes of every file it names.

    Messages come out oldest first by internal date (ties keep the manifest's order), so a reply is
    stored after the message it answers and joins its thread.

    Raises:
        ValueError: the manifest is not TOML, misses or misspells a key, gives a value of the wrong
            type, names a file outside `root` or one that is not there, a user label it does not
            declare, a system label Gmail does not have, or a date without an offset.
    """
    manifest = root / MANIFEST
    try:
        document = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{MANIFEST}: cannot read it: {exc}") from exc
    top = _table(
        document, "the top level", {"owner", "owner_name", "labels", "messages"}, {"drafts", "send_as"}
    )
    labels = tuple(_label(entry, f"labels[{n}]") for n, entry in enumerate(_tables(top, "labels")))
    declared = [label.name.casefold() for label in labels]
    if len(set(declared)) != len(declared):
        raise ValueError(f"{MANIFEST}: a label is declared twice")
    messages = [
        _message(root, entry, f"messages[{n}]", set(declared))
        for n, entry in enumerate(_tables(top, "messages"))
    ]
    messages.sort(key=lambda message: message.internal_date_ms)  # stable: ties keep their order
    drafts = tuple(
        _file(root, _table(entry, f"drafts[{n}]", {"file"}, set()), f"drafts[{n}]")
        for n, entry in enumerate(_tables(top, "drafts"))
    )
    return SeedData(
        owner=_text(top, "owner", MANIFEST),
        owner_name=_text(top, "owner_name", MANIFEST, empty=True),
        labels=labels,
        messages=tuple(messages),
        drafts=drafts,
        send_as=tuple(_send_as(entry, f"send_as[{n}]") for n, entry in enumerate(_tables(top, "send_as"))),
    )


def _send_as(entry: object, where: str) -> SeedSendAs:
    table = _table(entry, where, {"email"}, {"display_name", "signature", "verification"})
    optional = {
        key: _text(table, key, where, empty=True) for key in ("display_name", "signature") if key in table
    }
    verification = _text(table, "verification", where) if "verification" in table else "accepted"
    if verification not in ("accepted", "pending"):
        raise ValueError(f"{MANIFEST}: {where}: verification must be 'accepted' or 'pending'")
    return SeedSendAs(_text(table, "email", where), verification=verification, **optional)


def _label(entry: object, where: str) -> SeedLabel:
    table = _table(entry, where, {"name"}, {"text_color", "background_color"})
    colours = [
        _text(table, key, where) if key in table else None for key in ("text_color", "background_color")
    ]
    if (colours[0] is None) != (colours[1] is None):
        raise ValueError(f"{MANIFEST}: {where}: give text_color and background_color together, or neither")
    return SeedLabel(_text(table, "name", where), colours[0], colours[1])


def _message(root: Traversable, entry: object, where: str, declared: set[str]) -> SeedMessage:
    table = _table(entry, where, {"file", "internal_date", "system_labels"}, {"user_labels"})
    system = _texts(table, "system_labels", where)
    for label_id in system:
        if label_id not in SYSTEM_LABELS or label_id == "DRAFT":
            raise ValueError(
                f"{MANIFEST}: {where}: {label_id!r} is not a system label id a message may carry"
                " (drafts are listed under [[drafts]])"
            )
    user = _texts(table, "user_labels", where) if "user_labels" in table else ()
    for name in user:
        if name.casefold() not in declared:
            raise ValueError(f"{MANIFEST}: {where}: user label {name!r} is not declared under [[labels]]")
    return SeedMessage(_file(root, table, where), system, user, _epoch_ms(table["internal_date"], where))


def _file(root: Traversable, table: dict[str, object], where: str) -> bytes:
    name = _text(table, "file", where)
    if not _INSIDE.fullmatch(name):
        raise ValueError(f"{MANIFEST}: {where}: file {name!r} must be a relative path to an .eml file")
    found = root
    for part in name.split("/"):
        found = found / part
    if not found.is_file():
        raise ValueError(f"{MANIFEST}: {where}: file {name!r} is not there")
    return found.read_bytes()


def _epoch_ms(value: object, where: str) -> int:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(
            f"{MANIFEST}: {where}: internal_date must be a date-time with an offset, like 2026-09-14T16:05:00Z"
        )
    span = value - _EPOCH
    if span % _MS:
        raise ValueError(f"{MANIFEST}: {where}: internal_date must be in whole milliseconds")
    return span // _MS


def _table(value: object, where: str, required: set[str], optional: set[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{MANIFEST}: {where} must be a table")
    missing = sorted(required - value.keys())
    unknown = sorted(value.keys() - required - optional)
    if missing or unknown:
        raise ValueError(f"{MANIFEST}: {where}: missing keys {missing}, unknown keys {unknown}")
    return value


def _tables(table: dict[str, object], key: str) -> list[object]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{MANIFEST}: {key} must be an array of tables ([[{key}]])")
    return value


def _text(table: dict[str, object], key: str, where: str, *, empty: bool = False) -> str:
    value = table[key]
    if not isinstance(value, str) or not (empty or value.strip()):
        raise ValueError(f"{MANIFEST}: {where}: {key} must be a {'' if empty else 'non-empty '}string")
    return value


def _texts(table: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{MANIFEST}: {where}: {key} must be an array of strings")
    if len(set(value)) != len(value):
        raise ValueError(f"{MANIFEST}: {where}: {key} names a label twice")
    return tuple(value)

"""What changed in the mailbox since the last look: new emails, label changes, deletions.

The server keeps a checkpoint per account (the mailbox's history id and when it was taken) in a
private file in its state folder, and reads Gmail's history (users.history.list) from there:

- the first look sets the checkpoint and says so (there is nothing to compare with yet);
- when the mailbox's history id is still the checkpoint's, nothing changed: one getProfile call;
- otherwise each message's changes are folded into one entry: new (with its summary), labels
  added and removed (net: a label added then removed is no change), or deleted; a message that
  arrived and went again, and drafts (which Gmail replaces on every save), are left out;
- at most `limit` messages per look: the checkpoint then stops after the last history record
  read, and the next look goes on from there;
- Gmail keeps history for about a week. When the checkpoint is older (history.list answers 404),
  the look falls back to a search for the emails received since the checkpoint's time and says
  so; label changes and deletions of that time cannot be known. Either way the checkpoint moves
  to now.

Checkpoints are keyed by the account's address (getProfile), so two accounts never share one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.actions.account import Account
from gmail_mcp.common.secretfile import SecretFile
from gmail_mcp.errors import NotFoundError

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend
    from gmail_mcp.models import HistoryEvent, MessageSummary

logger = logging.getLogger("gmail_mcp")
MAX_HISTORY_PAGES = 20  # 10,000 history records per look at most (2 quota units a page)


@dataclass(frozen=True)
class Checkpoint:
    history_id: str
    at: float  # epoch seconds when it was taken


@dataclass(frozen=True)
class LabelChange:
    message_id: str
    thread_id: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Changes:
    """One look's answer. `since` is None on the first look (the checkpoint was only set)."""

    since: float | None
    new: tuple[MessageSummary, ...] = ()
    changed: tuple[LabelChange, ...] = ()
    deleted: tuple[str, ...] = ()
    more: bool = False  # stopped at `limit`: the next look continues
    searched: str = ""  # the fallback search, when the history was no longer kept
    more_found: int = 0  # with the fallback: how many more emails the search estimates


class Checkpoints:
    """The checkpoints file: {"accounts": {address: {"history_id", "at"}}}, private (0600 in 0700)."""

    def __init__(self, path: Path) -> None:
        self._file = SecretFile(path)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Exclusive across threads and processes: two looks at once would report the same changes."""
        with self._file.locked():
            yield

    def get(self, address: str) -> Checkpoint | None:
        entry = self._read().get(address.casefold())
        if not isinstance(entry, dict):
            return None
        try:
            return Checkpoint(str(entry["history_id"]), float(entry["at"]))
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, address: str, checkpoint: Checkpoint) -> None:
        accounts = self._read()
        accounts[address.casefold()] = {"history_id": checkpoint.history_id, "at": checkpoint.at}
        self._file.write_text(json.dumps({"accounts": accounts}, indent=1) + "\n")

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self._file.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A damaged file costs one fresh start, not every future look.
            logger.warning("the checkpoint file %s is unreadable; starting again", self._file.path)
            return {}
        accounts = data.get("accounts") if isinstance(data, dict) else None
        return dict(accounts) if isinstance(accounts, dict) else {}


def look(account: Account, *, limit: int, clock: Callable[[], float] = time.time) -> Changes:
    """What changed since the last look (see the module docstring); moves the checkpoint.

    Raises:
        GmailMcpError: Gmail failed; the checkpoint is left where it was.
    """
    backend = account.backend()
    store = Checkpoints(account.settings.paths.state_dir / "checkpoints.json")
    with store.held():
        profile = backend.get_profile()
        now = clock()
        saved = store.get(profile.email_address)
        if saved is None:
            store.put(profile.email_address, Checkpoint(profile.history_id, now))
            return Changes(since=None)
        if saved.history_id == profile.history_id:
            return Changes(since=saved.at)
        try:
            changes, reached = _from_history(backend, saved, limit)
        except NotFoundError:
            changes, reached = _from_search(backend, saved, limit), profile.history_id
        store.put(profile.email_address, Checkpoint(reached, now))
        return changes


@dataclass
class _Seen:
    thread_id: str
    new: bool = False
    deleted: bool = False
    draft: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def take(self, event: HistoryEvent) -> None:
        if event.label_ids:  # the latest labels say whether it is (still) a draft
            self.draft = "DRAFT" in event.label_ids
        if event.kind == "added":
            self.new = True
        elif event.kind == "deleted":
            self.deleted = True
        else:
            adding = event.kind == "labels_added"
            for label in event.changed:
                undone, done = (self.removed, self.added) if adding else (self.added, self.removed)
                if label in undone:
                    undone.remove(label)
                elif label not in done:
                    done.append(label)


def _from_history(backend: MailBackend, saved: Checkpoint, limit: int) -> tuple[Changes, str]:
    """Fold the history after the checkpoint into changes; returns them and the history id reached."""
    seen: dict[str, _Seen] = {}
    reached, token, more, pages = saved.history_id, None, False, 0
    while True:
        page = backend.list_history(saved.history_id, page_token=token)
        pages += 1
        for history_id, events in _records(page.events):
            if len(seen) >= limit and any(e.message_id not in seen for e in events):
                more = True  # the next look starts after the last record read
                break
            for event in events:
                seen.setdefault(event.message_id, _Seen(event.thread_id)).take(event)
            reached = str(history_id)
        token = page.next_page_token
        if more or token is None or pages >= MAX_HISTORY_PAGES:
            more = more or token is not None
            if not more:
                reached = page.history_id or reached  # all read: up to the mailbox's own id
            break
    kept = {i: s for i, s in seen.items() if not s.draft and not (s.new and s.deleted)}
    new_ids = [i for i, s in kept.items() if s.new]
    summaries = {m.id: m for m in backend.get_summaries(new_ids)} if new_ids else {}
    changes = Changes(
        since=saved.at,
        new=tuple(summaries[i] for i in reversed(new_ids) if i in summaries),  # newest first
        changed=tuple(
            LabelChange(i, s.thread_id, tuple(s.added), tuple(s.removed))
            for i, s in kept.items()
            if not s.new and not s.deleted and (s.added or s.removed)
        ),
        deleted=tuple(i for i, s in kept.items() if s.deleted and not s.new),
        more=more,
    )
    return changes, reached


def _records(events: tuple[HistoryEvent, ...]) -> list[tuple[int, list[HistoryEvent]]]:
    """Events grouped by their history record, in order."""
    grouped: dict[int, list[HistoryEvent]] = {}
    for event in events:
        grouped.setdefault(event.history_id, []).append(event)
    return list(grouped.items())


def _from_search(backend: MailBackend, saved: Checkpoint, limit: int) -> Changes:
    """The emails received since the checkpoint's time (the history is no longer kept)."""
    query = f"after:{int(saved.at)} -in:drafts"
    page = backend.list_messages(query, max_results=limit)
    more = max(0, page.result_size_estimate - len(page.messages)) if page.next_page_token else 0
    return Changes(since=saved.at, new=page.messages, searched=query, more_found=more)

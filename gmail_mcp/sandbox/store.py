"""The sandbox mailbox: messages, threads, labels, drafts and history, as plain Python state.

`Mailbox` holds the state and the operations Gmail performs on it. It does no HTTP and no JSON
shaping (see `resources`); callers from the HTTP side hold `Mailbox.lock` around every use, and the
Python API methods (`insert_raw`, `load`, `seeded`) take it themselves.

Ids are Gmail-like: a message id is 16 hex digits, the internal date in ms then a counter, so ids
sort like Gmail's; a thread's id is the id of its first message; drafts are ``r`` + digits; user
labels ``Label_<n>``; history ids increase by one per change.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from gmail_mcp.sandbox.apierror import ApiError, bad_id, invalid, not_found
from gmail_mcp.sandbox.filters import FilterBook
from gmail_mcp.sandbox.history import HistoryRecord
from gmail_mcp.sandbox.labels import LabelBook
from gmail_mcp.sandbox.loader import LoadReport, load_into
from gmail_mcp.sandbox.outgoing import (
    Envelope,
    header,
    internal_date_ms,
    joined,
    message_id_of,
    prepare_for_sending,
    read_headers,
    referenced_ids,
    thread_subject,
)
from gmail_mcp.sandbox.payload import ParsedMail, link_kinds, parse_mail
from gmail_mcp.sandbox.search import QueryError, SearchDoc, parse_query
from gmail_mcp.sandbox.sendas import SendAsBook

DEFAULT_OWNER = "you@example.com"
HIDDEN = frozenset({"TRASH", "SPAM"})
_MESSAGE_ID = re.compile(r"[0-9a-f]{16}")
_DRAFT_ID = re.compile(r"r-?\d{1,20}")
_PARSED_CACHE = 64

Clock = Callable[[], float]


@dataclass
class StoredMessage:
    """One message: its bytes, where it lives, and what search and lists read without re-parsing."""

    id: str
    thread_id: str
    raw: bytes
    internal_date_ms: int
    label_ids: set[str]
    history_id: int
    rfc_id: str
    subject: str
    snippet: str
    doc: SearchDoc
    searchable_at_ms: int = 0  # a `q` search finds it from then on (Gmail indexes new mail late)

    def sort_key(self) -> tuple[int, str]:
        """Gmail lists newest first by internal date."""
        return (self.internal_date_ms, self.id)


class Mailbox:
    """One Gmail account's mail. Changing methods expect the caller to hold `lock` (the HTTP side
    does, for a whole call); `insert_raw`, `load`, `seeded` and the plain readers take it themselves."""

    def __init__(self, owner: str = DEFAULT_OWNER, *, owner_name: str = "", clock: Clock = time.time) -> None:
        self.owner = owner
        self.owner_name = owner_name
        self.clock = clock
        self.lock = threading.RLock()
        self.labels = LabelBook()
        self.send_as = SendAsBook(owner, owner_name)
        self.filters = FilterBook()
        self._messages: dict[str, StoredMessage] = {}
        self._threads: dict[str, list[str]] = {}  # thread id -> message ids, oldest first
        self._by_rfc_id: dict[str, list[str]] = {}
        self._drafts: dict[str, str] = {}  # draft id -> message id
        self._history: list[HistoryRecord] = []
        self._history_id = 1
        self._history_floor = 0  # the newest history id forgotten (0: none)
        self._counter = 0
        self._draft_counter = 0
        self._sent_counter = 0
        self._parsed: OrderedDict[str, ParsedMail] = OrderedDict()

    # ----- Python API -------------------------------------------------------------------------

    @classmethod
    def seeded(cls, *, clock: Clock = time.time, owner: str | None = None, small: bool = False) -> Mailbox:
        """A mailbox filled from `seed.seed_data()`: the demo account's labels, mail, drafts and
        send-as addresses; with `small`, the few messages of `seed.small_data()` instead (a
        sandbox's further users). `owner` gives the account another address."""
        from gmail_mcp.sandbox.seed import seed_data, small_data  # on demand: only the demo needs them

        data = small_data() if small else seed_data()
        address = owner or data.owner
        mailbox = cls(address, owner_name=data.owner_name if owner is None else "", clock=clock)
        with mailbox.lock:
            for label in data.labels:
                spec: dict[str, object] = {"name": label.name}
                if label.text_color and label.background_color:
                    spec["color"] = {"textColor": label.text_color, "backgroundColor": label.background_color}
                mailbox.labels.create(spec)
            for message in data.messages:
                ids = list(message.system_labels) + [mailbox.labels.ensure(n) for n in message.user_labels]
                mailbox.add(message.raw, ids, message.internal_date_ms)
            for raw in data.drafts:  # replies among them join the thread they answer
                mailbox.create_draft(raw, None, strict_threading=False)
            for entry in data.send_as:
                mailbox.send_as.add(
                    address if entry.email.casefold() == data.owner.casefold() else entry.email,
                    display_name=entry.display_name,
                    signature=entry.signature,
                    verification=entry.verification,
                )
        return mailbox

    def insert_raw(
        self, raw: bytes, labels: Iterable[str] = ("INBOX", "UNREAD"), internal_date_ms: int | None = None
    ) -> str:
        """Add a message as if delivered; returns its id. Labels are ids or user label names;
        the internal date defaults to the Date header (else now). Raises ValueError for an
        unknown label."""
        with self.lock:
            ids = []
            for label in labels:
                found = self.labels.canonical(label) or self.labels.by_name(label)
                if found is None:
                    raise ValueError(f"unknown label: {label}")
                ids.append(found)
            return self.add(raw, ids, internal_date_ms).id

    def add_send_as(
        self,
        email: str,
        *,
        display_name: str = "",
        signature: str = "",
        reply_to: str = "",
        verification: str = "accepted",
        default: bool = False,
    ) -> None:
        """Add a custom "from" address (Gmail's "Send mail as"), or give the primary address a
        name and signature; `signature` is HTML. Raises ValueError (see `SendAsBook.add`)."""
        with self.lock:
            self.send_as.add(
                email,
                display_name=display_name,
                signature=signature,
                reply_to=reply_to,
                verification=verification,
                default=default,
            )

    def load(self, path: str | Path, *, unread: int = 0) -> LoadReport:
        """Load an .eml file, a folder of them (recursive) or an mbox, the `unread` newest unread
        (see `loader.load_into`); returns what was loaded and skipped. Raises LoadError."""
        with self.lock:
            return load_into(self, Path(path), unread=unread)

    # ----- reading ----------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The mailbox clock in epoch ms."""
        return int(self.clock() * 1000)

    @property
    def history_id(self) -> int:
        """The current (latest) history id."""
        return self._history_id

    def message(self, message_id: str) -> StoredMessage:
        """A message by id: 400 for a malformed id, 404 for an unknown one."""
        if not _MESSAGE_ID.fullmatch(message_id.lower()):
            raise bad_id()
        with self.lock:
            found = self._messages.get(message_id.lower())
        if found is None:
            raise not_found()
        return found

    def thread(self, thread_id: str) -> list[StoredMessage]:
        """A thread's messages, oldest first: 400 malformed, 404 unknown."""
        if not _MESSAGE_ID.fullmatch(thread_id.lower()):
            raise bad_id()
        with self.lock:
            ids = self._threads.get(thread_id.lower())
            if not ids:
                raise not_found()
            return [self._messages[i] for i in ids]

    def parsed(self, message: StoredMessage) -> ParsedMail:
        """The parsed form of a message (a small cache spares re-parsing on repeated reads)."""
        found = self._parsed.get(message.id)
        if found is None:
            found = parse_mail(message.raw)
            self._parsed[message.id] = found
            if len(self._parsed) > _PARSED_CACHE:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(message.id)
        return found

    def all_messages(self) -> list[StoredMessage]:
        """Every message, newest first."""
        with self.lock:
            return sorted(self._messages.values(), key=StoredMessage.sort_key, reverse=True)

    def thread_count(self) -> int:
        """How many threads the mailbox holds."""
        return len(self._threads)

    def search(self, q: str | None, label_ids: list[str], include_spam_trash: bool) -> list[StoredMessage]:
        """Messages matching `q` and carrying every label in `label_ids`, newest first. Trash and
        spam are left out unless asked for (by flag, by the query, or by naming those labels).
        A `q` search does not see mail its index has not caught up with yet; labels alone do."""
        wanted = set(self.labels.require(label_ids))
        query = None
        if q and q.strip():
            try:
                query = parse_query(q, now_ms=self.now_ms(), owner=self.owner)
            except QueryError as exc:
                raise invalid(f"Invalid query: {exc}") from exc
        show_hidden = (
            include_spam_trash or bool(wanted & HIDDEN) or (query is not None and query.includes_spam_trash)
        )
        now = self.now_ms()
        found = [
            m
            for m in self._messages.values()
            if wanted <= m.label_ids
            and (show_hidden or not m.label_ids & HIDDEN)
            and (query is None or (m.searchable_at_ms <= now and query.matches(m.doc)))
        ]
        found.sort(key=StoredMessage.sort_key, reverse=True)
        return found

    def label_counts(self, label_id: str) -> dict[str, int]:
        """labels.get's counters for one label."""
        tagged = [m for m in self._messages.values() if label_id in m.label_ids]
        unread = [m for m in tagged if "UNREAD" in m.label_ids]
        return {
            "messagesTotal": len(tagged),
            "messagesUnread": len(unread),
            "threadsTotal": len({m.thread_id for m in tagged}),
            "threadsUnread": len({m.thread_id for m in unread}),
        }

    def history(self) -> list[HistoryRecord]:
        """Every history record kept, oldest first."""
        return self._history

    @property
    def history_floor(self) -> int:
        """The newest history id already forgotten (0 when nothing was): a start at or below it
        cannot be answered."""
        return self._history_floor

    def trim_history(self, before_ms: int) -> None:
        """Forget the history records made before `before_ms` (Gmail keeps about a week of it)."""
        old = [r for r in self._history if r.time_ms < before_ms]
        if old:
            self._history_floor = max(self._history_floor, *(r.id for r in old))
            self._history = [r for r in self._history if r.id > self._history_floor]

    def incoming_doc(self, raw: bytes, when_ms: int, label_ids: Iterable[str]) -> SearchDoc:
        """What a search would see of `raw` stored now with these labels (incoming mail meets the
        filters before it is stored)."""
        ids = frozenset(label_ids)
        doc = self._search_doc(read_headers(raw), parse_mail(raw), raw, when_ms)
        return dataclasses.replace(doc, label_ids=ids, label_names=self.labels.user_names(ids))

    # ----- changing -------------------------------------------------------------------------

    def add(
        self,
        raw: bytes,
        label_ids: Iterable[str],
        internal_date: int | None = None,
        *,
        thread_id: str | None = None,
        strict_threading: bool = False,
        searchable_at_ms: int = 0,
    ) -> StoredMessage:
        """Store a message. It joins `thread_id` only under Gmail's rule (the thread exists, the
        message references one of its messages, the subject matches); without a thread id it
        joins the thread of a message it references, unless `strict_threading` (send, drafts).
        A `q` search finds it from `searchable_at_ms` on (0: at once, as for mail already there)."""
        headers = read_headers(raw)
        when = internal_date if internal_date is not None else internal_date_ms(headers, self.now_ms())
        thread = self._thread_for(headers, thread_id, strict_threading)
        parsed = parse_mail(raw)
        message_id = self._new_message_id(when)
        stored = StoredMessage(
            id=message_id,
            thread_id=thread or message_id,
            raw=raw,
            internal_date_ms=when,
            label_ids=set(label_ids),
            history_id=0,
            rfc_id=message_id_of(headers),
            subject=header(headers, "Subject"),
            snippet=parsed.snippet,
            doc=self._search_doc(headers, parsed, raw, when),
            searchable_at_ms=searchable_at_ms,
        )
        self._messages[message_id] = stored
        members = self._threads.setdefault(stored.thread_id, [])
        members.append(message_id)
        members.sort(key=lambda i: self._messages[i].sort_key())
        if stored.rfc_id:
            self._by_rfc_id.setdefault(stored.rfc_id, []).append(message_id)
        self._parsed[message_id] = parsed
        self._refresh_doc(stored)
        self._record("messageAdded", stored)
        return stored

    def send(
        self,
        raw: bytes,
        thread_id: str | None,
        *,
        rewrite_message_id: bool = True,
        searchable_at_ms: int = 0,
    ) -> tuple[StoredMessage, Envelope]:
        """messages.send: Gmail's header rewrite, SENT (and INBOX, UNREAD when sent to oneself)."""
        prepared, envelope = self._prepare(raw, rewrite_message_id)
        labels = self._sent_labels(envelope)
        stored = self.add(
            prepared,
            labels,
            self.now_ms(),
            thread_id=thread_id,
            strict_threading=True,
            searchable_at_ms=searchable_at_ms,
        )
        self._remember_bcc(stored, envelope)
        return stored, envelope

    def modify(self, message: StoredMessage, add: Iterable[str], remove: Iterable[str]) -> None:
        """Add and remove labels (ids already validated), one history record per direction."""
        added = set(add) - message.label_ids
        removed = set(remove) & message.label_ids
        if not added and not removed:
            return
        message.label_ids |= added
        message.label_ids -= removed
        self._refresh_doc(message)
        if added:
            self._record("labelAdded", message, sorted(added))
        if removed:
            self._record("labelRemoved", message, sorted(removed))

    def delete(self, message: StoredMessage) -> None:
        """Remove a message for good (and the draft it backs, if any)."""
        del self._messages[message.id]
        members = self._threads.get(message.thread_id, [])
        if message.id in members:
            members.remove(message.id)
        if not members:
            self._threads.pop(message.thread_id, None)
        if message.rfc_id:
            same = self._by_rfc_id.get(message.rfc_id, [])
            if message.id in same:
                same.remove(message.id)
            if not same:
                self._by_rfc_id.pop(message.rfc_id, None)
        for draft_id in [d for d, m in self._drafts.items() if m == message.id]:
            del self._drafts[draft_id]
        self._parsed.pop(message.id, None)
        self._record("messageDeleted", message)

    def delete_label(self, label_id: str) -> None:
        """labels.delete: the label goes, and with it from every message."""
        found = self.labels.delete(label_id)
        for message in list(self._messages.values()):
            if found in message.label_ids:
                self.modify(message, (), (found,))

    def relabel_docs(self, label_id: str) -> None:
        """Refresh search documents after a user label was renamed."""
        for message in self._messages.values():
            if label_id in message.label_ids:
                self._refresh_doc(message)

    # ----- drafts -------------------------------------------------------------------------------

    def draft(self, draft_id: str) -> StoredMessage:
        """The message behind a draft: 400 malformed id, 404 unknown."""
        if not _DRAFT_ID.fullmatch(draft_id):
            raise bad_id()
        message_id = self._drafts.get(draft_id)
        if message_id is None:
            raise not_found()
        return self._messages[message_id]

    def drafts(self) -> dict[str, StoredMessage]:
        """Every draft id with its message."""
        with self.lock:
            return {d: self._messages[m] for d, m in self._drafts.items()}

    def create_draft(
        self,
        raw: bytes,
        thread_id: str | None,
        *,
        strict_threading: bool = True,
        searchable_at_ms: int = 0,
    ) -> tuple[str, StoredMessage]:
        """drafts.create: the raw is kept as written (Bcc included) with the DRAFT label."""
        stored = self.add(
            raw,
            ["DRAFT"],
            self.now_ms(),
            thread_id=thread_id,
            strict_threading=strict_threading,
            searchable_at_ms=searchable_at_ms,
        )
        self._draft_counter += 1
        draft_id = f"r{7_000_000_000_000_000_000 + self._draft_counter}"
        self._drafts[draft_id] = stored.id
        return draft_id, stored

    def update_draft(
        self, draft_id: str, raw: bytes, thread_id: str | None, *, searchable_at_ms: int = 0
    ) -> StoredMessage:
        """drafts.update: a new message (new id, as Gmail does) replaces the old one."""
        old = self.draft(draft_id)
        stored = self.add(
            raw,
            ["DRAFT"],
            self.now_ms(),
            thread_id=thread_id,
            strict_threading=True,
            searchable_at_ms=searchable_at_ms,
        )
        self.delete(old)
        self._drafts[draft_id] = stored.id
        return stored

    def send_draft(
        self, draft_id: str, *, rewrite_message_id: bool = True, searchable_at_ms: int = 0
    ) -> tuple[StoredMessage, Envelope]:
        """drafts.send: the draft's message is sent in place (same id) and the draft is gone."""
        message = self.draft(draft_id)
        prepared, envelope = self._prepare(message.raw, rewrite_message_id)
        del self._drafts[draft_id]
        self._replace_raw(message, prepared)
        message.searchable_at_ms = searchable_at_ms
        self._remember_bcc(message, envelope)
        message.internal_date_ms = self.now_ms()
        self.modify(message, self._sent_labels(envelope), ["DRAFT"])
        return message, envelope

    def delete_draft(self, draft_id: str) -> None:
        """drafts.delete: the draft and its message are removed for good."""
        self.delete(self.draft(draft_id))

    # ----- internals ------------------------------------------------------------------------------

    def _prepare(self, raw: bytes, rewrite_message_id: bool) -> tuple[bytes, Envelope]:
        self._sent_counter += 1
        message_id = f"<CA{secrets.token_urlsafe(24)}.{self._sent_counter}@mail.gmail.com>"
        return prepare_for_sending(
            raw,
            owner=self.owner,
            owner_name=self.owner_name,
            now_s=self.clock(),
            message_id=message_id,
            replace_message_id=rewrite_message_id,
            may_send_as=self.send_as.allows,
        )

    @staticmethod
    def _remember_bcc(message: StoredMessage, envelope: Envelope) -> None:
        # The stored copy lost its Bcc header, but the sender can still search `bcc:` as in Gmail.
        message.doc = dataclasses.replace(message.doc, bcc=", ".join(envelope.bcc))

    def _sent_labels(self, envelope: Envelope) -> list[str]:
        to_self = any(address.lower() == self.owner.lower() for address in envelope.recipients())
        return ["SENT", "INBOX", "UNREAD"] if to_self else ["SENT"]

    def _replace_raw(self, message: StoredMessage, raw: bytes) -> None:
        headers = read_headers(raw)
        parsed = parse_mail(raw)
        if message.rfc_id and message.id in self._by_rfc_id.get(message.rfc_id, []):
            self._by_rfc_id[message.rfc_id].remove(message.id)
        message.raw = raw
        message.rfc_id = message_id_of(headers)
        if message.rfc_id:
            self._by_rfc_id.setdefault(message.rfc_id, []).append(message.id)
        message.subject = header(headers, "Subject")
        message.snippet = parsed.snippet
        message.doc = self._search_doc(headers, parsed, raw, message.internal_date_ms)
        self._parsed[message.id] = parsed
        self._refresh_doc(message)

    def _thread_for(self, headers: Message, requested: str | None, strict: bool) -> str | None:
        references = referenced_ids(headers)
        if requested:
            members = [self._messages[i] for i in self._threads.get(requested.lower(), [])]
            member_ids = {m.rfc_id for m in members if m.rfc_id}
            subject = thread_subject(header(headers, "Subject"))
            if member_ids & set(references) and any(thread_subject(m.subject) == subject for m in members):
                return requested.lower()
        if strict:
            return None
        for reference in references:
            for message_id in self._by_rfc_id.get(reference, []):
                return self._messages[message_id].thread_id
        return None

    def _new_message_id(self, when_ms: int) -> str:
        stamp = min(max(when_ms, 0), 2**44 - 1)
        while True:
            self._counter = (self._counter + 1) % 2**20
            candidate = f"{stamp:011x}{self._counter:05x}"
            if candidate not in self._messages and candidate not in self._threads:
                return candidate

    def _search_doc(self, headers: Message, parsed: ParsedMail, raw: bytes, when: int) -> SearchDoc:
        return SearchDoc(
            sender=header(headers, "From"),
            to=joined(headers, "To"),
            cc=joined(headers, "Cc"),
            bcc=joined(headers, "Bcc"),
            subject=header(headers, "Subject"),
            text=parsed.text,
            label_ids=frozenset(),
            label_names=frozenset(),
            filenames=parsed.filenames,
            has_attachment=parsed.has_attachment,
            internal_date_ms=when,
            size=len(raw),
            message_id=message_id_of(headers),
            delivered_to=header(headers, "Delivered-To"),
            list_id=header(headers, "List-Id"),
            links=link_kinds(parsed.root),
        )

    def _refresh_doc(self, message: StoredMessage) -> None:
        message.doc = dataclasses.replace(
            message.doc,
            label_ids=frozenset(message.label_ids),
            label_names=self.labels.user_names(message.label_ids),
            internal_date_ms=message.internal_date_ms,
        )

    def _record(self, kind: str, message: StoredMessage, changed: list[str] | None = None) -> None:
        self._history_id += 1
        message.history_id = self._history_id
        self._history.append(
            HistoryRecord(
                id=self._history_id,
                kind=kind,
                message_id=message.id,
                thread_id=message.thread_id,
                labels_after=tuple(sorted(message.label_ids)),
                changed=tuple(changed or ()),
                time_ms=self.now_ms(),
            )
        )

    def require_message_ids(self, ids: object) -> list[StoredMessage]:
        """The messages of a batch request's `ids` (unknown ids are skipped, as Gmail does)."""
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid("ids must be a list of message ids")
        if len(ids) > 1000:
            raise invalid("Too many ids: at most 1000 per request")
        found = []
        for message_id in ids:
            try:
                found.append(self.message(message_id))
            except ApiError as exc:
                if exc.code != 404:
                    raise
        return found

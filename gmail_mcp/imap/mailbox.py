"""What every operation of the IMAP backend needs on a connection: the dialect, folders, ids, fetches.

`Mailbox` is the state shared by the backend's methods (the pool, the folder map, the dialect);
its methods take a borrowed `Connection` and do IMAP work on it: find a message by id, search,
fetch summaries with snippets, fetch whole messages. The backend (`client.py`) wraps them in
pool calls and shapes the answers.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from gmail_mcp.common import steps
from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.imap import convert, ids, query
from gmail_mcp.imap.folders import FolderMap
from gmail_mcp.imap.pool import Connection, ConnectionPool
from gmail_mcp.models import Message, MessageSummary

GMAIL_EXTENSION = b"X-GM-EXT-1"
FETCH_CHUNK = 200  # UIDs per FETCH command (keeps command lines short)
_PAGE_TOKEN = re.compile(r"^p(?P<offset>[0-9]{1,7})$")
_SPAM_TRASH = re.compile(r"(?<![\w-])in:(trash|spam|anywhere)\b", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Where = tuple[str, int]  # (folder, uid)


class Mailbox:
    """One account over a pool of connections. Thread-safe."""

    def __init__(self, pool: ConnectionPool, *, today: Callable[[], date] = date.today) -> None:
        self.pool = pool
        self.today = today
        self._folders: FolderMap | None = None
        self._lock = threading.Lock()

    @property
    def user(self) -> str:
        return self.pool.login.user

    @property
    def gmail(self) -> bool:
        """Whether the server speaks Gmail's extensions (X-GM-EXT-1): labels, Gmail search, Gmail ids."""
        return GMAIL_EXTENSION in self.pool.capabilities()

    def folders(self) -> FolderMap:
        """The folder map (listed on a connection of its own when not known yet)."""
        with self._lock:
            known = self._folders
        if known is not None:
            return known
        return self.pool.run(self.prime, what="The folder list")

    def prime(self, conn: Connection) -> FolderMap:
        """List the folders on `conn` if not known yet: an operation never borrows a second connection."""
        with self._lock:
            if self._folders is None:
                self._folders = FolderMap.from_listing(conn.client.list_folders())
            return self._folders

    def forget_folders(self) -> None:
        with self._lock:
            self._folders = None

    def role(self, flag: bytes, fallback: str = "") -> str:
        """The folder playing a role; NotFoundError when the server has none."""
        found = self.folders().role(flag)
        if found:
            return found
        if fallback:
            return fallback
        name = flag.decode().lstrip("\\")
        raise NotFoundError(f"This mail server has no {name} folder.", folder_role=name)

    def all_mail(self) -> str:
        return self.role(b"\\All", "[Gmail]/All Mail")

    # -- ids ---------------------------------------------------------------------------------------

    def locate(
        self, conn: Connection, message_id: str, *, write: bool = False, within: str | None = None
    ) -> Where:
        """The folder and UID of a message (that folder is then selected on `conn`).

        Raises:
            InvalidParamsError: not an id of this mailbox.
            NotFoundError: no such message (deleted, moved, or its folder was renumbered).
        """
        if self.gmail:
            wanted = ids.parse_gmail_id(message_id)
            candidates = [within] if within else [self.all_mail(), *self._optional(b"\\Trash", b"\\Junk")]
            for folder in candidates:
                conn.select(folder, write=write)
                found = conn.client.search([b"X-GM-MSGID", wanted])
                if found:
                    return folder, int(found[0])
            raise _not_found(message_id)
        located = ids.parse_located(message_id)
        if within is not None and located.folder != within:
            raise _not_found(message_id)
        if self.folders().find(located.folder) is None:
            raise _not_found(message_id)
        if conn.select(located.folder, write=write) != located.uidvalidity:
            raise _not_found(message_id)
        # A read finds out from its FETCH; a change must not act on a UID that is gone.
        if write and not conn.client.search([b"UID", located.uid]):
            raise _not_found(message_id)
        return located.folder, located.uid

    def _optional(self, *flags: bytes) -> list[str]:
        return [name for flag in flags if (name := self.folders().role(flag))]

    def ids_of(self, answer: convert.Answer, folder: str, uidvalidity: int, uid: int) -> convert.Ids:
        labels = convert.labels_of(answer, folder, self.folders(), gmail=self.gmail)
        if self.gmail:
            message_id = ids.gmail_id(int(answer.get(b"X-GM-MSGID") or 0))
            return convert.Ids(message_id, ids.gmail_id(int(answer.get(b"X-GM-THRID") or 0)), labels)
        message_id = ids.Located(folder, uidvalidity, uid).encode()
        head = convert.header_part(answer)
        root = ids.thread_root(
            head.header("Message-ID") or "", head.header("In-Reply-To") or "", head.header("References") or ""
        )
        return convert.Ids(message_id, ids.thread_id_for(root, message_id), labels)

    # -- fetching ----------------------------------------------------------------------------------

    def summary_items(self) -> list[str]:
        return convert.SUMMARY_ITEMS + (convert.GMAIL_ITEMS if self.gmail else [])

    def summaries(self, conn: Connection, folder: str, uids: Sequence[int]) -> dict[int, MessageSummary]:
        """Summaries (headers, flags, labels, snippet) of messages in `folder`; absent UIDs are left out.

        Two FETCHes: headers and BODYSTRUCTURE, then the first 2 KB of each first text part.
        """
        validity = conn.select(folder)
        answers: dict[int, Any] = {}
        for chunk in _chunks(uids):
            answers.update(conn.client.fetch(chunk, self.summary_items()))
        snippets = self._snippets(conn, answers)
        found = {}
        for uid, answer in answers.items():
            found[uid] = convert.summary(
                answer, self.ids_of(answer, folder, validity, uid), snippets.get(uid, "")
            )
        return found

    def _snippets(self, conn: Connection, answers: dict[int, Any]) -> dict[int, str]:
        parts = {}
        for uid, answer in answers.items():
            part = convert.first_text(answer.get(b"BODYSTRUCTURE"))
            if part is not None:
                parts[uid] = part
        by_section: dict[str, list[int]] = {}
        for uid, part in parts.items():
            by_section.setdefault(part.section, []).append(uid)
        snippets = {}
        for section, uids in by_section.items():
            item = f"BODY.PEEK[{section}]<0.{convert.SNIPPET_BYTES}>"
            for chunk in _chunks(uids):
                for uid, answer in conn.client.fetch(chunk, [item]).items():
                    data = convert.body_item(answer, f"BODY[{section}]".encode())
                    snippets[uid] = convert.snippet_of(parts[uid], data)
        return snippets

    def message(self, conn: Connection, folder: str, uid: int, message_id: str) -> Message:
        """The whole message at `folder`/`uid` (BODY.PEEK[]: it stays unread)."""
        validity = conn.select(folder)
        items = convert.FULL_ITEMS + (convert.GMAIL_ITEMS if self.gmail else [])
        answer = conn.client.fetch([uid], items).get(uid)
        if answer is None:
            raise _not_found(message_id)
        return convert.message(answer, self.ids_of(answer, folder, validity, uid))

    def headers_message(self, conn: Connection, folder: str, uid: int, message_id: str) -> Message:
        """A message with its headers and flags only (what a reply needs), no body."""
        validity = conn.select(folder)
        answer = conn.client.fetch([uid], self.summary_items()).get(uid)
        if answer is None:
            raise _not_found(message_id)
        return convert.headers_message(answer, self.ids_of(answer, folder, validity, uid))

    def raw(self, conn: Connection, folder: str, uid: int, message_id: str) -> bytes:
        conn.select(folder)
        answer = conn.client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        if answer is None:
            raise _not_found(message_id)
        return convert.body_item(answer, b"BODY[]")

    # -- searching ---------------------------------------------------------------------------------

    def search(
        self,
        conn: Connection,
        text: str,
        *,
        include_spam_trash: bool = False,
        within: Sequence[str] | None = None,
    ) -> list[Where]:
        """Every message matching a Gmail query, newest first.

        Raises:
            InvalidParamsError: a control character in the query (it would end the IMAP command).
        """
        query.check_text(text, "query")
        found: list[Where] = []
        if self.gmail:
            folders = list(within) if within else [self.all_mail()]
            if not within and (include_spam_trash or _SPAM_TRASH.search(text)):
                folders += self._optional(b"\\Trash", b"\\Junk")
            for folder in folders:
                conn.select(folder)
                uids = conn.client.gmail_search(text) if text.strip() else conn.client.search([b"ALL"])
                found += [(folder, int(u)) for u in uids]
        else:
            plan = query.translate(text, self.folders(), today=self.today)
            folder_map = self.folders()
            folders = list(within or plan.folders or ())
            if not folders:
                folders = (
                    folder_map.every_folder() if include_spam_trash else folder_map.searched_by_default()
                )
            for folder in folders:
                conn.select(folder)
                uids = conn.client.search(plan.criteria, charset=plan.charset)
                found += [(folder, int(u)) for u in uids]
        return self.newest_first(conn, found)

    def newest_first(self, conn: Connection, found: list[Where]) -> list[Where]:
        folders = list(dict.fromkeys(folder for folder, _ in found))
        if len(folders) <= 1:
            return sorted(found, key=lambda w: w[1], reverse=True)
        # Across folders UIDs do not compare: order by the time each message arrived.
        arrived: dict[Where, datetime] = {}
        for folder in folders:
            conn.select(folder)
            uids = [uid for f, uid in found if f == folder]
            for chunk in _chunks(uids):
                for uid, answer in conn.client.fetch(chunk, ["INTERNALDATE"]).items():
                    arrived[(folder, uid)] = _utc(answer.get(b"INTERNALDATE"))
        return sorted(found, key=lambda w: (arrived.get(w, _EPOCH), w[1]), reverse=True)

    def summaries_of(self, conn: Connection, wanted: Iterable[Where]) -> list[MessageSummary]:
        """Summaries in the order asked, one FETCH round per folder; vanished messages are left out."""
        wanted = list(wanted)
        fetched: dict[Where, MessageSummary] = {}
        for folder in dict.fromkeys(f for f, _ in wanted):
            found = self.summaries(conn, folder, [uid for f, uid in wanted if f == folder])
            fetched.update({(folder, uid): s for uid, s in found.items()})
        return [fetched[w] for w in wanted if w in fetched]


def page_offset(token: str | None) -> int:
    """The offset a page token stands for.

    Raises:
        InvalidParamsError: not a token this server handed out.
    """
    if not token:
        return 0
    match = _PAGE_TOKEN.fullmatch(token.strip())
    if match is None:
        raise InvalidParamsError(
            f"{token!r} is not a page token of this server; pass next_page_token from the previous page.",
            page_token=token,
        )
    return int(match["offset"])


def page_token(offset: int, total: int) -> str | None:
    return f"p{offset}" if offset < total else None


def _chunks(uids: Sequence[int]) -> Iterable[list[int]]:
    """`uids` a FETCH at a time; a cancelled call fetches no further chunk."""
    for start in range(0, len(uids), FETCH_CHUNK):
        steps.current().check()
        yield list(uids[start : start + FETCH_CHUNK])


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return _EPOCH


def _not_found(message_id: str) -> NotFoundError:
    return NotFoundError(
        f"Email {message_id} was not found on the mail server: it may have been deleted or moved, or the id is wrong.",
        email_id=message_id,
    )

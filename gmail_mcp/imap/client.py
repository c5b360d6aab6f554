"""ImapBackend: the `MailBackend` over IMAP (reading, labels, drafts) and SMTP (sending).

Each method borrows one pooled connection for its whole IMAP work (`Mailbox` does the IMAP), so a
method sees one consistent selection. Sending goes through SMTP once; on Gmail the server files the
sent message itself, elsewhere a copy is appended to the Sent folder. Drafts are messages with the
\\Draft flag in the Drafts folder: their id is their message id, and updating one appends the new
version before deleting the old, so a draft is never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from gmail_mcp.common import attachments
from gmail_mcp.content import mime
from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.imap import ids
from gmail_mcp.imap.labels import LabelOps
from gmail_mcp.imap.mailbox import Mailbox, Where, page_offset, page_token
from gmail_mcp.imap.pool import Connection
from gmail_mcp.imap.smtp import SmtpSender
from gmail_mcp.models import (
    AttachmentInfo,
    Draft,
    DraftPage,
    FilterAction,
    FilterCriteria,
    HistoryPage,
    IdPage,
    MailFilter,
    Message,
    MessagePage,
    MessageRef,
    MessageSummary,
    Profile,
    RawDraft,
    RawMessage,
    SendAs,
    Thread,
    ThreadPage,
    ThreadSummary,
)

logger = logging.getLogger("gmail_mcp")
T = TypeVar("T")
MAX_PAGE = 500
WRITE_PIECE = 1024 * 1024
DRAFT_FLAGS = (b"\\Draft", b"\\Seen")


class ImapBackend(LabelOps):
    """One mailbox over IMAP and SMTP. Thread-safe."""

    def __init__(self, mailbox: Mailbox, sender: SmtpSender) -> None:
        self.box = mailbox
        self.smtp = sender

    def _run(
        self, operation: Callable[[Connection], T], what: str, changes: bool = False, **details: str
    ) -> T:
        def primed(conn: Connection) -> T:
            self.box.prime(conn)  # the folder map, from this connection when not known yet
            return operation(conn)

        return self.box.pool.run(primed, what=what, details=details, changes=changes)

    def warm_up(self) -> None:
        """Nothing to get ready: there is no token to refresh, and logging in now would only race the
        first call for a connection (Gmail counts every simultaneous one); the first call logs in."""

    def close(self) -> None:
        self.box.pool.close()

    # -- messages ----------------------------------------------------------------------------------

    def list_messages(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        max_results: int = 20,
        page_token: str | None = None,
        include_spam_trash: bool = False,
    ) -> MessagePage:
        """One page of summaries, newest first: one search per folder, then headers and snippets."""
        offset = page_offset(page_token)
        size = max(1, min(int(max_results), MAX_PAGE))
        text = " ".join([query, *(_label_term(label) for label in label_ids)]).strip()

        def work(conn: Connection) -> MessagePage:
            found = self.box.search(conn, text, include_spam_trash=include_spam_trash)
            window = found[offset : offset + size]
            return MessagePage(
                messages=tuple(self.box.summaries_of(conn, window)),
                next_page_token=_next(offset + size, len(found)),
                result_size_estimate=len(found),
            )

        return self._run(work, "Search", query=text)

    def list_ids(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        max_results: int = MAX_PAGE,
        page_token: str | None = None,
        include_spam_trash: bool = False,
    ) -> IdPage:
        """One page of matching ids (an IMAP id is made from what a summary fetch reads)."""
        page = self.list_messages(
            query,
            label_ids=label_ids,
            max_results=max_results,
            page_token=page_token,
            include_spam_trash=include_spam_trash,
        )
        return IdPage(
            ids=tuple(m.id for m in page.messages),
            next_page_token=page.next_page_token,
            result_size_estimate=page.result_size_estimate,
        )

    def get_summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]:
        """Summaries of the messages that exist, in the order asked."""

        def work(conn: Connection) -> list[MessageSummary]:
            found = []
            for message_id in message_ids:
                try:
                    where = self.box.locate(conn, message_id)
                except NotFoundError:
                    continue
                found += self.box.summaries_of(conn, [where])
            return found

        return self._run(work, "Messages")

    def get_message(self, message_id: str) -> Message:
        def work(conn: Connection) -> Message:
            folder, uid = self.box.locate(conn, message_id)
            return self.box.message(conn, folder, uid, message_id)

        return self._run(work, f"Email {message_id}", email_id=message_id)

    def get_messages(self, message_ids: Sequence[str]) -> list[Message]:
        return [self.get_message(message_id) for message_id in message_ids]

    def get_raw(self, message_id: str) -> bytes:
        def work(conn: Connection) -> bytes:
            folder, uid = self.box.locate(conn, message_id)
            return self.box.raw(conn, folder, uid, message_id)

        return self._run(work, f"Email {message_id}", email_id=message_id)

    def get_raw_message(self, message_id: str) -> RawMessage:
        def work(conn: Connection) -> RawMessage:
            folder, uid = self.box.locate(conn, message_id)
            raw = self.box.raw(conn, folder, uid, message_id)
            summaries = self.box.summaries_of(conn, [(folder, uid)])
            thread_id = summaries[0].thread_id if summaries else message_id
            return RawMessage(id=message_id, thread_id=thread_id, raw=raw)

        return self._run(work, f"Email {message_id}", email_id=message_id)

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        """An attachment's bytes by the id a read listed ("part:<part id>")."""
        if not attachment_id.startswith("part:"):
            raise InvalidParamsError(
                f"{attachment_id!r} is not an attachment id of this email; take it from the attachments a read lists.",
                attachment_id=attachment_id,
            )
        part_id = attachment_id.removeprefix("part:")
        message = self.get_message(message_id)
        for part in message.payload.walk():
            if part.part_id == part_id and part.data is not None:
                return part.data
        raise NotFoundError(
            f"Email {message_id} has no attachment {attachment_id}.",
            email_id=message_id,
            attachment_id=attachment_id,
        )

    def save_attachment(self, message_id: str, attachment_id: str, write: Callable[[bytes], object]) -> int:
        """Hand an attachment to `write` a piece at a time (1 MiB); its size.

        IMAP sends the part whole (BODY.PEEK[]), so this bounds the writes, not the memory.
        """
        data = self.get_attachment(message_id, attachment_id)
        for start in range(0, len(data), WRITE_PIECE):
            write(data[start : start + WRITE_PIECE])
        return len(data)

    def find_attachment(self, message_id: str, reference: str) -> tuple[AttachmentInfo, bytes | None]:
        """An attachment by the id a read listed (``part:<part id>``), a part id or its filename.

        IMAP reads the message whole, so the bytes always come with it.

        Raises:
            NotFoundError: no such attachment; the details list the message's attachments.
        """
        message = self.get_message(message_id)
        listed = mime.list_attachments(message.payload)
        info = attachments.find(listed, reference, None)
        data = (
            None
            if info is None
            else next(
                (p.data for p in message.payload.walk() if p.part_id == info.part_id and p.data is not None),
                None,
            )
        )
        if info is None or data is None:
            raise NotFoundError(
                f"Email {message_id} has no attachment {reference!r}: pass the part_id or filename of one "
                "of those in error_details.",
                email_id=message_id,
                attachment_id=reference,
                attachments=[{"filename": a.filename, "part_id": a.part_id} for a in listed],
            )
        return info, data

    def save_attachment_part(
        self, message_id: str, attachment: AttachmentInfo, write: Callable[[bytes], object]
    ) -> int:
        return self.save_attachment(message_id, f"part:{attachment.part_id}", write)

    def get_attachment_part(self, message_id: str, reference: str) -> tuple[AttachmentInfo, bytes]:
        info, data = self.find_attachment(message_id, reference)
        assert data is not None  # find_attachment always has the bytes over IMAP
        return info, data

    # -- sending -----------------------------------------------------------------------------------

    def send_message(self, raw: bytes, *, thread_id: str | None = None) -> MessageRef:
        """Send once over SMTP, then file it in Sent (Gmail files it itself) and return its ids.

        Replies thread by their In-Reply-To and References headers, which the caller wrote; IMAP
        has no other way to put a message in a thread.
        """
        raw, message_id = self.outgoing(raw)
        self.smtp.send(raw)
        return self._filed(raw, message_id, thread_id)

    def outgoing(self, raw: bytes) -> tuple[bytes, str]:
        """`raw` with a From (the login) and a Message-ID, which SMTP needs and Gmail's API would add."""
        headers = mime.parse_rfc822(raw.partition(b"\r\n\r\n")[0] + b"\r\n\r\n")
        extra = b""
        if not headers.header("From"):
            mime.check_header_value(self.box.user, "sender")
            extra += f"From: {self.box.user}\r\n".encode()
        message_id = (headers.header("Message-ID") or "").strip()
        if not message_id:
            message_id = mime.make_message_id(self.box.user.rpartition("@")[2] or "gmail-mcp.local")
            extra += f"Message-ID: {message_id}\r\n".encode()
        return extra + raw, message_id

    def _filed(self, raw: bytes, message_id: str, thread_id: str | None) -> MessageRef:
        """The sent message's ids (after appending it to Sent where the server does not)."""
        try:
            sent = self.box.role(b"\\Sent", "[Gmail]/Sent Mail" if self.box.gmail else "")

            def file(conn: Connection) -> MessageRef | None:
                if not self.box.gmail:
                    conn.client.append(sent, raw, flags=(b"\\Seen",), msg_time=datetime.now(UTC))
                    conn.forget_selection()
                return self._find(conn, sent, message_id)

            found = self._run(file, "Filing the sent email", changes=not self.box.gmail)
        except Exception as exc:  # the mail went: never report a failure the agent would answer by resending
            logger.warning("the email was sent, but filing it in Sent failed: %s", exc)
            found = None
        if found is not None:
            return found
        fallback = message_id.strip("<>")
        return MessageRef(id=fallback, thread_id=thread_id or fallback, label_ids=("SENT",))

    def _find(self, conn: Connection, folder: str, message_id: str) -> MessageRef | None:
        if not ids.is_message_id(message_id):
            return None  # a draft written elsewhere may carry anything there: never put it in a command
        conn.select(folder)
        uids = conn.client.search([b"HEADER", b"Message-ID", message_id.encode()])
        if not uids:
            return None
        summaries = self.box.summaries_of(conn, [(folder, max(int(u) for u in uids))])
        return _ref(summaries[0]) if summaries else None

    # -- changes -----------------------------------------------------------------------------------

    def trash_message(self, message_id: str) -> MessageRef:
        """Move a message to the Trash folder (kept there as the server's policy says)."""
        trash = self.box.role(b"\\Trash", "[Gmail]/Trash" if self.box.gmail else "")
        return self._move(message_id, trash, "Trash")

    def untrash_message(self, message_id: str) -> MessageRef:
        return self._move(message_id, "INBOX", "Inbox")

    def _move(self, message_id: str, target: str, name: str) -> MessageRef:
        def work(conn: Connection) -> MessageRef:
            folder, uid = self.box.locate(conn, message_id, write=True)
            header = self.box.headers_message(conn, folder, uid, message_id)
            if folder == target:
                return _ref(header)
            conn.select(folder, write=True)
            self._move_uid(conn, uid, target)
            found = self._find(conn, target, header.rfc822_message_id) if header.rfc822_message_id else None
            return found or MessageRef(id=message_id, thread_id=header.thread_id, label_ids=("TRASH",))

        return self._run(work, f"Moving email {message_id} to {name}", changes=True, email_id=message_id)

    def _move_uid(self, conn: Connection, uid: int, target: str) -> None:
        if conn.client.has_capability("MOVE"):
            conn.client.move([uid], target)
        else:
            conn.client.copy([uid], target)
            self._expunge(conn, uid)
        conn.forget_selection()

    def _expunge(self, conn: Connection, uid: int) -> None:
        conn.client.add_flags([uid], [b"\\Deleted"], silent=True)
        if conn.client.has_capability("UIDPLUS"):
            conn.client.uid_expunge([uid])
        else:
            conn.client.expunge()

    # -- threads -----------------------------------------------------------------------------------

    def list_threads(
        self, query: str = "", *, max_results: int = 20, page_token: str | None = None
    ) -> ThreadPage:
        page = self.list_messages(query, max_results=max_results, page_token=page_token)
        threads = {
            m.thread_id: ThreadSummary(id=m.thread_id, snippet=m.snippet) for m in reversed(page.messages)
        }
        return ThreadPage(
            threads=tuple(reversed(threads.values())),
            next_page_token=page.next_page_token,
            result_size_estimate=page.result_size_estimate,
        )

    def get_thread(self, thread_id: str, *, headers_only: bool = False) -> Thread:
        """A conversation, oldest first: X-GM-THRID on Gmail, References/In-Reply-To elsewhere."""

        def work(conn: Connection) -> Thread:
            found = self._thread_members(conn, thread_id)
            if not found:
                raise NotFoundError(
                    f"Thread {thread_id} was not found on the mail server.", thread_id=thread_id
                )
            messages = []
            seen: set[str] = set()
            for folder, uid in found:
                member = self.box.headers_message(conn, folder, uid, thread_id)
                key = member.rfc822_message_id or member.id
                if key in seen:  # the same message in two folders (a copy): show it once
                    continue
                seen.add(key)
                messages.append(member if headers_only else self.box.message(conn, folder, uid, member.id))
            messages.sort(key=lambda m: m.internal_date or datetime.min.replace(tzinfo=UTC))
            return Thread(id=thread_id, snippet=messages[-1].snippet, messages=tuple(messages))

        return self._run(work, f"Thread {thread_id}", thread_id=thread_id)

    def _thread_members(self, conn: Connection, thread_id: str) -> list[Where]:
        if self.box.gmail:
            wanted = ids.parse_gmail_id(thread_id, "thread_id")
            folder = self.box.all_mail()
            conn.select(folder)
            return [(folder, int(u)) for u in conn.client.search([b"X-GM-THRID", wanted])]
        root = ids.parse_thread(thread_id)
        if root is None:  # a message without a Message-ID is a thread of its own
            try:
                return [self.box.locate(conn, thread_id)]
            except InvalidParamsError:
                raise NotFoundError(f"Thread {thread_id} was not found.", thread_id=thread_id) from None
        value = root.encode()
        criteria = [
            b"OR",
            [b"HEADER", b"Message-ID", value, b"ALL"],
            [b"OR", [b"HEADER", b"References", value, b"ALL"], [b"HEADER", b"In-Reply-To", value, b"ALL"]],
        ]
        found: list[Where] = []
        for folder in self.box.folders().searched_by_default():
            conn.select(folder)
            found += [(folder, int(u)) for u in conn.client.search(criteria)]
        return found

    # -- drafts ------------------------------------------------------------------------------------

    def _drafts(self) -> str:
        return self.box.role(b"\\Drafts", "[Gmail]/Drafts" if self.box.gmail else "")

    def list_drafts(
        self, *, query: str = "", max_results: int = 10, page_token: str | None = None
    ) -> DraftPage:
        offset = page_offset(page_token)
        size = max(1, min(int(max_results), MAX_PAGE))
        folder = self._drafts()

        def work(conn: Connection) -> DraftPage:
            found = self.box.search(conn, query, within=[folder])
            window = found[offset : offset + size]
            summaries = self.box.summaries_of(conn, window)
            return DraftPage(
                drafts=tuple(Draft(id=s.id, message=s) for s in summaries),
                next_page_token=_next(offset + size, len(found)),
                result_size_estimate=len(found),
            )

        return self._run(work, "Drafts")

    def get_draft(self, draft_id: str) -> Draft:
        def work(conn: Connection) -> Draft:
            folder, uid = self._locate_draft(conn, draft_id)
            message = self.box.message(conn, folder, uid, draft_id)
            return Draft(id=message.id, message=message)

        return self._run(work, f"Draft {draft_id}", draft_id=draft_id)

    def _locate_draft(self, conn: Connection, draft_id: str, *, write: bool = False) -> Where:
        try:
            return self.box.locate(conn, draft_id, write=write, within=self._drafts())
        except NotFoundError:
            raise NotFoundError(
                f"Draft {draft_id} was not found: it may have been sent or deleted.", draft_id=draft_id
            ) from None

    def create_draft(self, raw: bytes, *, thread_id: str | None = None) -> Draft:
        raw, message_id = self.outgoing(raw)
        folder = self._drafts()

        def work(conn: Connection) -> Draft:
            return self._append_draft(conn, folder, raw, message_id)

        return self._run(work, "Saving the draft", changes=True)

    def _append_draft(self, conn: Connection, folder: str, raw: bytes, message_id: str) -> Draft:
        conn.client.append(folder, raw, flags=DRAFT_FLAGS, msg_time=datetime.now(UTC))
        conn.forget_selection()
        found = self._find(conn, folder, message_id)
        if found is None:
            raise NotFoundError("The draft was saved but could not be found again in the Drafts folder.")
        summary = self.box.summaries_of(conn, [self.box.locate(conn, found.id, within=folder)])
        return Draft(id=found.id, message=summary[0])

    def update_draft(self, draft_id: str, raw: bytes, *, thread_id: str | None = None) -> Draft:
        """Replace a draft: the new version is appended first, then the old one deleted."""
        raw, message_id = self.outgoing(raw)
        folder = self._drafts()

        def work(conn: Connection) -> Draft:
            _, old = self._locate_draft(conn, draft_id, write=True)
            if message_id == self.box.headers_message(conn, folder, old, draft_id).rfc822_message_id:
                raw_new, new_id = self.outgoing(_without_message_id(raw))
            else:
                raw_new, new_id = raw, message_id
            draft = self._append_draft(conn, folder, raw_new, new_id)
            conn.select(folder, write=True)
            self._expunge(conn, old)
            return draft

        return self._run(work, f"Updating draft {draft_id}", changes=True, draft_id=draft_id)

    def get_draft_raw(self, draft_id: str) -> RawDraft:
        """A draft's RFC 822 bytes exactly as stored (every header instance, Bcc included)."""

        def work(conn: Connection) -> RawDraft:
            folder, uid = self._locate_draft(conn, draft_id)
            message = self.box.message(conn, folder, uid, draft_id)
            raw = self.box.raw(conn, folder, uid, draft_id)
            return RawDraft(id=draft_id, message_id=message.id, thread_id=message.thread_id, raw=raw)

        return self._run(work, f"Draft {draft_id}", draft_id=draft_id)

    def send_draft(
        self, draft_id: str, *, raw: bytes | None = None, thread_id: str | None = None
    ) -> MessageRef:
        """Send a draft's message once over SMTP (with `raw`: exactly those bytes, the ones that
        were checked), then delete the draft."""
        if raw is None:
            raw = self._run(
                lambda conn: self.box.raw(conn, *self._locate_draft(conn, draft_id), draft_id),
                f"Draft {draft_id}",
            )
        else:  # the draft must still exist: sending a draft someone deleted meanwhile is a surprise
            self._run(lambda conn: self._locate_draft(conn, draft_id), f"Draft {draft_id}", draft_id=draft_id)
        raw, message_id = self.outgoing(raw)
        self.smtp.send(raw)
        try:
            self.delete_draft(draft_id)
        except Exception as exc:  # sent: a leftover draft is better than a reported failure
            logger.warning("draft %s was sent but could not be deleted: %s", draft_id, exc)
        return self._filed(raw, message_id, None)

    def delete_draft(self, draft_id: str) -> None:
        def work(conn: Connection) -> None:
            _, uid = self._locate_draft(conn, draft_id, write=True)
            self._expunge(conn, uid)

        self._run(work, f"Deleting draft {draft_id}", changes=True, draft_id=draft_id)

    # -- Gmail-only: history and filters (the tools needing them are not offered over IMAP) ----------

    def list_history(self, start_history_id: str, *, page_token: str | None = None) -> HistoryPage:
        raise _gmail_api_only("The mailbox history")

    def list_filters(self) -> list[MailFilter]:
        raise _gmail_api_only("Filters")

    def create_filter(self, criteria: FilterCriteria, action: FilterAction) -> MailFilter:
        raise _gmail_api_only("Filters")

    def delete_filter(self, filter_id: str) -> None:
        raise _gmail_api_only("Filters")

    # -- account -----------------------------------------------------------------------------------

    def get_profile(self) -> Profile:
        folder = self.box.all_mail() if self.box.gmail else "INBOX"
        status = self._run(lambda c: c.client.folder_status(folder, [b"MESSAGES"]), "The mailbox")
        return Profile(email_address=self.box.user, messages_total=int(status.get(b"MESSAGES", 0)))

    def list_send_as(self) -> list[SendAs]:
        """The login only: IMAP and SMTP cannot list Gmail's other send-as addresses or signatures."""
        return [SendAs(email=self.box.user, primary=True, default=True)]


def _gmail_api_only(what: str) -> InvalidParamsError:
    return InvalidParamsError(f"{what} can be reached only through the Gmail API, not over IMAP.")


def _ref(message: MessageSummary) -> MessageRef:
    return MessageRef(id=message.id, thread_id=message.thread_id, label_ids=message.label_ids)


def _next(offset: int, total: int) -> str | None:
    return page_token(offset, total)


def _label_term(label: str) -> str:
    known = {
        "INBOX": "in:inbox",
        "UNREAD": "is:unread",
        "STARRED": "is:starred",
        "SENT": "in:sent",
        "DRAFT": "in:drafts",
        "TRASH": "in:trash",
        "SPAM": "in:spam",
    }
    return known.get(label.upper(), f'label:"{label}"')


def _without_message_id(raw: bytes) -> bytes:
    head, separator, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"message-id:")]
    return b"\r\n".join(lines) + separator + body

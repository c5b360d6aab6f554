"""The mail backend interface the servers are written against.

`GmailClient` implements it over the Gmail REST API, `ImapBackend` (gmail_mcp/imap) over IMAP and
SMTP. Everything crossing it is a domain model from `models.py`; ids are opaque strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # annotations only: the models load with the first mail read
    from gmail_mcp.models import (
        AttachmentInfo,
        Draft,
        DraftPage,
        FilterAction,
        FilterCriteria,
        HistoryPage,
        IdPage,
        Label,
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
    )

MessageFormat = Literal["full", "metadata"]


class Feature(StrEnum):
    """What some backends can do and others cannot; a tool needing a missing one is not offered.

    The REST backend has every feature; the IMAP backend has none of them on a server that is not
    Gmail (see `gmail_mcp.imap.features`).
    """

    WEB_URL = "web-url"  # each message has a page in Gmail's web interface
    HISTORY = "history"  # a record of every change to the mailbox since a point (users.history)
    FILTERS = "filters"  # Gmail's filters on incoming mail (users.settings.filters)


ALL_FEATURES = frozenset(Feature)


class MailBackend(Protocol):
    # Getting ready: called in the background once a client connects, so the first call is fast
    # (a token refresh, a login, a connection). May raise what a call would; the call raises it then.
    def warm_up(self) -> None: ...

    # Closing the connections it keeps (at the end of a server's life); calls made later still work.
    def close(self) -> None: ...

    # Messages
    def list_messages(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        max_results: int = 20,
        page_token: str | None = None,
        include_spam_trash: bool = False,
    ) -> MessagePage: ...
    def list_ids(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        max_results: int = 500,
        page_token: str | None = None,
        include_spam_trash: bool = False,
    ) -> IdPage: ...
    def get_message(self, message_id: str) -> Message: ...
    def get_messages(self, message_ids: Sequence[str]) -> list[Message]: ...
    def get_summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]: ...
    def get_raw(self, message_id: str) -> bytes: ...
    def get_raw_message(self, message_id: str) -> RawMessage:
        """A message's exact bytes (every part, attachments included) with its ids, in one fetch."""
        ...

    def send_message(self, raw: bytes, *, thread_id: str | None = None) -> MessageRef: ...
    def modify_message(
        self, message_id: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> MessageRef: ...
    def batch_modify(
        self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None: ...
    def trash_message(self, message_id: str) -> MessageRef: ...
    def untrash_message(self, message_id: str) -> MessageRef: ...
    def get_attachment(self, message_id: str, attachment_id: str) -> bytes: ...
    def find_attachment(self, message_id: str, reference: str) -> tuple[AttachmentInfo, bytes | None]:
        """An attachment found by `reference`: the attachment id a tool listed (even one no longer
        valid), ``part:<part id>`` or a part id, or its filename; with its bytes when the backend
        already holds them (else None: fetch them with `save_attachment_part`).

        Raises:
            NotFoundError: no such attachment; the details list the message's attachments.
        """
        ...

    def save_attachment_part(
        self, message_id: str, attachment: AttachmentInfo, write: Callable[[bytes], object]
    ) -> int:
        """Hand an attachment found by `find_attachment` to `write` piece by piece (never holding the
        decoded file whole, writing nothing before the fetch succeeded); returns its size."""
        ...

    def get_attachment_part(self, message_id: str, reference: str) -> tuple[AttachmentInfo, bytes]:
        """`find_attachment` with the bytes fetched: for callers that need them in memory."""
        ...

    # Threads
    def list_threads(
        self, query: str = "", *, max_results: int = 20, page_token: str | None = None
    ) -> ThreadPage: ...
    def get_thread(self, thread_id: str, *, headers_only: bool = False) -> Thread: ...

    # Drafts
    def list_drafts(
        self, *, query: str = "", max_results: int = 10, page_token: str | None = None
    ) -> DraftPage: ...
    def get_draft(self, draft_id: str) -> Draft: ...
    def get_draft_raw(self, draft_id: str) -> RawDraft: ...
    def create_draft(self, raw: bytes, *, thread_id: str | None = None) -> Draft: ...
    def update_draft(self, draft_id: str, raw: bytes, *, thread_id: str | None = None) -> Draft: ...
    def send_draft(
        self, draft_id: str, *, raw: bytes | None = None, thread_id: str | None = None
    ) -> MessageRef: ...
    def delete_draft(self, draft_id: str) -> None: ...

    # Labels
    def list_labels(self) -> list[Label]: ...
    def get_label(self, label_id: str) -> Label: ...
    def resolve_label(self, name_or_id: str) -> Label: ...
    def create_label(
        self, name: str, *, text_color: str | None = None, background_color: str | None = None
    ) -> Label: ...
    def update_label(
        self,
        label_id: str,
        *,
        name: str | None = None,
        text_color: str | None = None,
        background_color: str | None = None,
    ) -> Label: ...
    def delete_label(self, label_id: str) -> None: ...

    # History and filters (Feature.HISTORY, Feature.FILTERS)
    def list_history(self, start_history_id: str, *, page_token: str | None = None) -> HistoryPage:
        """Changes after `start_history_id`, oldest first, a page at a time.

        Raises:
            NotFoundError: the history from that start is no longer kept.
        """
        ...

    def list_filters(self) -> list[MailFilter]: ...
    def create_filter(self, criteria: FilterCriteria, action: FilterAction) -> MailFilter: ...
    def delete_filter(self, filter_id: str) -> None: ...

    # Account
    def get_profile(self) -> Profile: ...
    def list_send_as(self) -> list[SendAs]:
        """The addresses the account may send as (its login first), with their signatures."""
        ...

"""The mail backend interface the servers are written against.

`GmailClient` implements it over the Gmail REST API; an IMAP backend can implement the same
methods (see spec/gmail-imap-guide.md). Everything crossing it is a domain model from `models.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # annotations only: the models load with the first mail read
    from gmail_mcp.models import (
        Draft,
        DraftPage,
        Label,
        Message,
        MessagePage,
        MessageRef,
        MessageSummary,
        Profile,
        Thread,
        ThreadPage,
    )

MessageFormat = Literal["full", "metadata"]


class MailBackend(Protocol):
    # Getting ready: called in the background once a client connects, so the first call is fast
    # (a token refresh, a login, a connection). May raise what a call would; the call raises it then.
    def warm_up(self) -> None: ...

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
    def get_message(self, message_id: str) -> Message: ...
    def get_messages(self, message_ids: Sequence[str]) -> list[Message]: ...
    def get_summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]: ...
    def get_raw(self, message_id: str) -> bytes: ...
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
    def create_draft(self, raw: bytes, *, thread_id: str | None = None) -> Draft: ...
    def update_draft(self, draft_id: str, raw: bytes, *, thread_id: str | None = None) -> Draft: ...
    def send_draft(self, draft_id: str) -> MessageRef: ...
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

    # Account
    def get_profile(self) -> Profile: ...

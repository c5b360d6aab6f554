"""The googleapiclient Resources one client uses, each built on first use and then kept.

googleapiclient builds a Resource anew from the discovery document on every access
(`users().messages()`: about 0.9 ms, once most of a page's CPU), so each is built once and shared
by every thread (making requests from a Resource only reads it). Built on first use: a new
server's first listing needs three of the ten, and building the others cost it about 5 ms.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any


class GmailResources:
    """`users()` and the Resources under it of one Gmail service."""

    def __init__(self, service: Any) -> None:
        self._service = service

    @cached_property
    def users(self) -> Any:
        return self._service.users()

    @cached_property
    def messages(self) -> Any:
        return self.users.messages()

    @cached_property
    def attachments(self) -> Any:
        return self.messages.attachments()

    @cached_property
    def drafts(self) -> Any:
        return self.users.drafts()

    @cached_property
    def labels(self) -> Any:
        return self.users.labels()

    @cached_property
    def threads(self) -> Any:
        return self.users.threads()

    @cached_property
    def history(self) -> Any:
        return self.users.history()

    @cached_property
    def settings(self) -> Any:
        return self.users.settings()

    @cached_property
    def send_as(self) -> Any:
        return self.settings.sendAs()

    @cached_property
    def filters(self) -> Any:
        return self.settings.filters()

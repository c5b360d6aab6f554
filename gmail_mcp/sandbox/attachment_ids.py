"""Attachment ids as Gmail hands them out: a new one on every fetch of a message, each expiring.

Gmail's attachment ids are opaque tokens that differ between two fetches of the same message and
stop working after a while (`messages.attachments.get` then answers 400 "Invalid attachment
token"). A client must find an attachment by its part and fetch a fresh id when its one is stale.
With rotation off, each part keeps one stable id forever (`payload.attachment_id`).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from gmail_mcp.sandbox.payload import Part, attachment_id

_MAX_LIVE = 100_000  # ids remembered at once; the oldest are forgotten (as if expired) beyond it


@dataclass(frozen=True)
class _Issued:
    message_id: str
    part_id: str
    expires_at: float


class AttachmentIds:
    """Issues and resolves attachment ids for one sandbox."""

    def __init__(self, ttl_seconds: float | None, clock: Callable[[], float]) -> None:
        self._ttl = ttl_seconds or 0.0
        self._clock = clock
        self._lock = threading.Lock()
        self._live: OrderedDict[str, _Issued] = OrderedDict()  # oldest first

    def issue(self, message_id: str, part_id: str) -> str:
        """The id to serve for one attachment part in one answer."""
        if not self._ttl:
            return attachment_id(message_id, part_id)
        token = "ANGjdJ" + secrets.token_urlsafe(120)
        now = self._clock()
        with self._lock:
            while self._live and (
                next(iter(self._live.values())).expires_at <= now or len(self._live) >= _MAX_LIVE
            ):
                self._live.popitem(last=False)
            self._live[token] = _Issued(message_id, part_id, now + self._ttl)
        return token

    def part_for(self, message_id: str, token: str, root: Part) -> Part | None:
        """The attachment part an id names in this message, or None (unknown, expired, elsewhere)."""
        if not self._ttl:
            return next(
                (p for p in root.walk() if p.attachment and attachment_id(message_id, p.part_id) == token),
                None,
            )
        with self._lock:
            issued = self._live.get(token)
        if issued is None or issued.message_id != message_id or issued.expires_at <= self._clock():
            return None
        return next((p for p in root.walk() if p.attachment and p.part_id == issued.part_id), None)

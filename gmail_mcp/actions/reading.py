"""Attachments the model reads: found by their part, fetched within Gmail's 25 MB, read, kept a while.

Claude Desktop's model cannot see files the server writes, so the attachment-reading tool and the attachment
resources hand the content itself to the model: text, a PDF's or Office file's text, an image. The
attachment is found as a download is (by its part, so a listed id that Gmail has since rotated
still works), refused before any byte is fetched when it is larger than `ReadLimits.max_bytes`,
and read by `extraction.Extractor` (PDF and Office files in a worker process). What was read is
kept in a small cache, bounded by bytes and age, so that paging through it costs no Gmail
request and no second extraction.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gmail_mcp.config import ReadLimits
from gmail_mcp.errors import PermissionDeniedError

if TYPE_CHECKING:
    from gmail_mcp.actions.account import Account
    from gmail_mcp.actions.extraction import Extractor
    from gmail_mcp.content.documents import Document
    from gmail_mcp.models import AttachmentInfo


@dataclass(frozen=True)
class ReadAttachment:
    """An attachment as the model reads it: what the email says of it, and its content."""

    email_id: str
    info: AttachmentInfo
    document: Document


class ReadCache:
    """Attachments read lately, by (email id, how the attachment was named). Thread-safe.

    Bounded by the bytes the entries hold (the oldest go first) and by age: an entry older than
    `max_age` seconds is read afresh, so a long-lived server does not answer from old copies.
    """

    def __init__(self, max_bytes: int, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, ReadAttachment]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, email_id: str, reference: str) -> ReadAttachment | None:
        key = (email_id, reference.strip())
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored, found = entry
            if self._clock() - stored > self.max_age:
                self._forget(found)
                return None
            self._entries.move_to_end(key)
            return found

    def put(self, found: ReadAttachment, references: Iterable[str]) -> None:
        """Keep `found` under each of `references` (it is held once); too large a one is not kept."""
        if found.document.weight > self.max_bytes:
            return
        now = self._clock()
        with self._lock:
            for reference in dict.fromkeys(r.strip() for r in references if r.strip()):
                self._entries[(found.email_id, reference)] = (now, found)
                self._entries.move_to_end((found.email_id, reference))
            while self._held() > self.max_bytes:
                _, (_, oldest) = next(iter(self._entries.items()))
                self._forget(oldest)

    def _held(self) -> int:
        distinct = {id(found): found for _, found in self._entries.values()}
        return sum(found.document.weight for found in distinct.values())

    def _forget(self, found: ReadAttachment) -> None:
        for key in [k for k, (_, f) in self._entries.items() if f is found]:
            del self._entries[key]


class Reading:
    """One account's attachment reading: its extractor (worker processes) and its cache."""

    def __init__(self, limits: ReadLimits, clock: Callable[[], float] = time.monotonic) -> None:
        from gmail_mcp.actions.extraction import Extractor

        self.limits = limits
        self.extractor: Extractor = Extractor(limits)
        self.cache = ReadCache(limits.cache_bytes, limits.cache_seconds, clock)


def read_attachment(account: Account, email_id: str, reference: str) -> ReadAttachment:
    """The content of attachment `reference` (as listed, a part id or a filename) of an email.

    Binary files come back as such (content_type "binary", with their bytes): the tool refuses
    them, a resource hands them to the client.

    Raises:
        NotFoundError: no such email or attachment.
        PermissionDeniedError: larger than `ReadLimits.max_bytes`, or another limit of the reading.
        InvalidParamsError: the file is damaged, encrypted or not what it seems.
        GmailMcpError: Gmail failed.
    """
    from gmail_mcp.content import documents  # the readers load with the first attachment read
    from gmail_mcp.models import PART_REFERENCE

    reading = account.reading()
    cached = reading.cache.get(email_id, reference)
    if cached is not None:
        return cached
    backend = account.backend()
    info, data = backend.find_attachment(email_id, reference)
    limit = reading.limits.max_bytes
    if info.size > limit:
        raise _too_large(info, info.size, limit)
    if data is None:
        fetched = bytearray()

        def keep(piece: bytes) -> None:
            if len(fetched) + len(piece) > limit:  # a size the listing understated
                raise _too_large(info, len(fetched) + len(piece), limit)
            fetched.extend(piece)

        backend.save_attachment_part(email_id, info, keep)
        data = bytes(fetched)
    elif len(data) > limit:
        raise _too_large(info, len(data), limit)
    found = documents.identify(data, info.mime_type, info.filename)
    result = ReadAttachment(email_id, info, reading.extractor.read(found, data, info.charset))
    reading.cache.put(
        result, [reference, PART_REFERENCE + info.part_id, info.part_id, info.attachment_id or ""]
    )
    return result


def _too_large(info: AttachmentInfo, size: int, limit: int) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"{info.filename} is {size:,} bytes; attachments are read up to {limit:,} bytes (Gmail's own "
        "limit). It was not read; download it instead.",
        size=size,
        limit_bytes=limit,
    )

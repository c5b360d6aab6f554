"""Finding an attachment by its part, whatever became of the attachment id a tool handed out.

Gmail's attachment ids differ on every fetch of a message and expire, so the id an agent read a
minute ago may match nothing in a fresh copy of the message, and `attachments.get` may refuse it
("Invalid attachment token"). An attachment is therefore identified by its part: its part id,
its filename and its position among the message's attachments, remembered for every id handed
out, and found again in a fresh copy of the message, whose id for it is current.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from gmail_mcp.models import PART_REFERENCE, AttachmentInfo

_REMEMBERED = 10_000  # (message, attachment id) pairs kept; the oldest are forgotten first


@dataclass(frozen=True)
class PartKey:
    """What identifies an attachment across fetches of its message."""

    part_id: str
    filename: str
    position: int  # among the message's attachments, from 0


class AttachmentMemory:
    """Which part each attachment id handed out named. Thread-safe, bounded."""

    def __init__(self, size: int = _REMEMBERED) -> None:
        self._size = size
        self._keys: OrderedDict[tuple[str, str], PartKey] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, message_id: str, attachments: Sequence[AttachmentInfo]) -> None:
        """Note the part behind each attachment id of a freshly fetched message."""
        with self._lock:
            for position, info in enumerate(attachments):
                if info.attachment_id:
                    key = (message_id, info.attachment_id)
                    self._keys[key] = PartKey(info.part_id, info.filename, position)
                    self._keys.move_to_end(key)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)

    def recall(self, message_id: str, attachment_id: str) -> PartKey | None:
        """The part an id named when it was handed out, if it was handed out here."""
        with self._lock:
            return self._keys.get((message_id, attachment_id))


def find(
    attachments: Sequence[AttachmentInfo], reference: str, remembered: PartKey | None
) -> AttachmentInfo | None:
    """The attachment `reference` names in a fresh copy of its message, or None.

    In order: the current attachment id; ``part:<id>`` or a bare part id; the part a stale id was
    remembered to name (by part id, then filename, then position); a filename (when one
    attachment has it); and, for a message with a single attachment, that one.
    """
    reference = reference.strip()
    by_id = next((a for a in attachments if a.attachment_id == reference), None)
    if by_id is not None:
        return by_id
    part_id = reference.removeprefix(PART_REFERENCE)
    by_part = next((a for a in attachments if a.part_id == part_id), None)
    if by_part is not None:
        return by_part
    if remembered is not None:
        found = _find_remembered(attachments, remembered)
        if found is not None:
            return found
    named = [a for a in attachments if a.filename == reference]
    if len(named) == 1:
        return named[0]
    if remembered is None and len(attachments) == 1 and not reference.startswith(PART_REFERENCE):
        return attachments[0]
    return None


def _find_remembered(attachments: Sequence[AttachmentInfo], key: PartKey) -> AttachmentInfo | None:
    for attachment in attachments:
        if attachment.part_id == key.part_id and attachment.filename == key.filename:
            return attachment
    named = [a for a in attachments if a.filename == key.filename]
    if len(named) == 1:
        return named[0]
    return attachments[key.position] if key.position < len(attachments) else None

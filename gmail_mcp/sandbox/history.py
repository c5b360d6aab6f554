"""Mailbox history as users.history.list reports it: one record per change, ids increasing."""

from __future__ import annotations

from dataclasses import dataclass

HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_KEYS = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}


@dataclass(frozen=True)
class HistoryRecord:
    """One change to one message."""

    id: int
    kind: str  # one of HISTORY_TYPES
    message_id: str
    thread_id: str
    labels_after: tuple[str, ...]  # the message's labels once the change was made
    changed: tuple[str, ...] = ()  # label ids added or removed
    time_ms: int = 0  # when the change was made (the mailbox clock): Gmail forgets old history

    def involves(self, label_id: str) -> bool:
        """Whether the record concerns a message carrying (or gaining, or losing) the label."""
        return label_id in self.labels_after or label_id in self.changed

    def resource(self) -> dict[str, object]:
        """The History resource."""
        ref = {"id": self.message_id, "threadId": self.thread_id}
        message = {**ref, "labelIds": list(self.labels_after)} if self.labels_after else dict(ref)
        entry: dict[str, object] = {"message": message}
        if self.kind in ("labelAdded", "labelRemoved"):
            entry["labelIds"] = list(self.changed)
        return {"id": str(self.id), "messages": [ref], _KEYS[self.kind]: [entry]}


def select(
    records: list[HistoryRecord], start: int, kinds: set[str], label_id: str | None
) -> list[HistoryRecord]:
    """Records after `start`, of the asked kinds (all when empty), touching the label when given."""
    return [
        r
        for r in records
        if r.id > start and (not kinds or r.kind in kinds) and (label_id is None or r.involves(label_id))
    ]

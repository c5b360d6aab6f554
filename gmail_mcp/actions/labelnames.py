"""Labels as people name them: what list and read results show instead of Gmail's label ids.

Gmail tags each message with label ids: system labels by their own names (`INBOX`, `UNREAD`,
`CATEGORY_UPDATES`...), user labels by opaque ids (`Label_4`) that mean nothing to a model and
that no core tool can resolve. Results show system labels as their ids and user labels by name,
the names that the label tool takes and answers with. The names come from the backend's label
list (one labels.list per server run, cached by the client, which asks for it beside its first
listing rather than after that listing's details); a label the cached list does not know yet
(made in Gmail since) is asked for once by id and remembered.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from gmail_mcp.errors import GmailMcpError, NotFoundError

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend

logger = logging.getLogger("gmail_mcp")

# Gmail's system label ids: they are their own names.
SYSTEM_LABELS = frozenset(
    {
        "INBOX",
        "SPAM",
        "TRASH",
        "UNREAD",
        "STARRED",
        "IMPORTANT",
        "SENT",
        "DRAFT",
        "CHAT",
        "CATEGORY_PERSONAL",
        "CATEGORY_SOCIAL",
        "CATEGORY_PROMOTIONS",
        "CATEGORY_UPDATES",
        "CATEGORY_FORUMS",
    }
)


class LabelNames:
    """Label id -> name for one mailbox; thread-safe."""

    def __init__(self, backend: Callable[[], MailBackend]) -> None:
        self._backend = backend
        self._asked: dict[str, str] = {}  # labels the cached list did not know, asked for by id
        self._lock = threading.Lock()

    def of(self, label_ids: Iterable[str]) -> dict[str, str]:
        """The name to show for each user label among `label_ids` (system labels are left out:
        they show as they are). Never raises: a label whose name cannot be had shows as its id."""
        wanted = {i for i in label_ids if i not in SYSTEM_LABELS}
        if not wanted:
            return {}
        backend = self._backend()
        try:
            names = {label.id: label.name for label in backend.list_labels()}
        except GmailMcpError as exc:
            logger.info("label names unavailable, ids shown: %s", exc.message)
            return {}
        # Gmail refuses user labels named like system ones ("Unread"), so a name never passes for one.
        return {label_id: names.get(label_id) or self._ask(backend, label_id) for label_id in sorted(wanted)}

    def _ask(self, backend: MailBackend, label_id: str) -> str:
        with self._lock:
            known = self._asked.get(label_id)
        if known is not None:
            return known
        try:
            name = backend.get_label(label_id).name or label_id
        except NotFoundError:  # deleted meanwhile: nothing to name
            name = label_id
        except GmailMcpError as exc:  # Gmail is failing: the id for now, asked again next time
            logger.info("label %s: no name (%s)", label_id, exc.message)
            return label_id
        with self._lock:
            self._asked[label_id] = name
        return name


def shown(label_ids: Iterable[str], names: dict[str, str]) -> list[str]:
    """`label_ids` as results show them, in their order (see `LabelNames.of`)."""
    return [names.get(label_id, label_id) for label_id in label_ids]

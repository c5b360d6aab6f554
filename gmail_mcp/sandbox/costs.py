"""What each Gmail method costs in quota units, in Google's two regimes, and each regime's limit.

Google's "Usage limits" page (developers.google.com/workspace/gmail/api/reference/quota) since
2026-05-01: projects created from then on pay the `2026` costs at 6,000 units per user per
minute; projects that used the API between Nov 2025 and Apr 2026 keep the `legacy` costs at
15,000. Of the 2026 costs only messages.list 5, history.list 2, messages.get 20, threads.get 40
and messages.send 100 are corroborated; attachments.get, drafts.get and messages.trash 20 are
reported; the rest are unknown, and the sandbox charges what the product assumes for them (a
legacy cost x4, listings unchanged), so the product's pacing meets the sandbox's refusals exactly
where it would meet Gmail's if the assumption holds. The product keeps its own copy of these
tables; a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_LEGACY = {
    "getProfile": 1,
    "messages.list": 5,
    "messages.insert": 25,
    "messages.send": 100,
    "messages.import": 25,
    "messages.batchModify": 50,
    "messages.batchDelete": 50,
    "messages.get": 5,
    "messages.delete": 10,
    "messages.modify": 5,
    "messages.trash": 5,
    "messages.untrash": 5,
    "messages.attachments.get": 5,
    "drafts.list": 5,
    "drafts.create": 10,
    "drafts.send": 100,
    "drafts.get": 5,
    "drafts.update": 15,
    "drafts.delete": 10,
    "labels.list": 1,
    "labels.create": 5,
    "labels.get": 1,
    "labels.update": 5,
    "labels.patch": 5,
    "labels.delete": 5,
    # Google's current page says 5 for threads, an older one 10 (and 20 for threads.delete).
    "threads.list": 5,
    "threads.get": 5,
    "threads.delete": 20,
    "threads.modify": 5,
    "threads.trash": 5,
    "threads.untrash": 5,
    "history.list": 2,
    "settings.sendAs.list": 1,
    "settings.sendAs.get": 1,
    "settings.filters.list": 1,
    "settings.filters.get": 1,
    "settings.filters.create": 5,
    "settings.filters.delete": 5,
}

_2026 = {
    # corroborated
    "messages.list": 5,
    "history.list": 2,
    "messages.get": 20,
    "threads.get": 40,
    "messages.send": 100,
    # reported
    "messages.attachments.get": 20,
    "drafts.get": 20,
    "messages.trash": 20,
    # unknown: a listing keeps its legacy cost, everything else costs 4x, thread-wide calls what
    # threads.get does, drafts.send what messages.send does
    "getProfile": 4,
    "messages.insert": 100,
    "messages.import": 100,
    "messages.batchModify": 200,
    "messages.batchDelete": 200,
    "messages.delete": 40,
    "messages.modify": 20,
    "messages.untrash": 20,
    "drafts.list": 5,
    "drafts.create": 40,
    "drafts.send": 100,
    "drafts.update": 60,
    "drafts.delete": 40,
    "labels.list": 1,
    "labels.create": 20,
    "labels.get": 4,
    "labels.update": 20,
    "labels.patch": 20,
    "labels.delete": 20,
    "threads.list": 10,
    "threads.delete": 80,
    "threads.modify": 40,
    "threads.trash": 40,
    "threads.untrash": 40,
    "settings.sendAs.list": 1,
    "settings.sendAs.get": 4,
    "settings.filters.list": 1,
    "settings.filters.get": 4,
    "settings.filters.create": 20,
    "settings.filters.delete": 20,
}


def _by_id(table: dict[str, int]) -> Mapping[str, int]:
    return MappingProxyType({f"gmail.users.{name}": units for name, units in table.items()})


COSTS: Mapping[str, Mapping[str, int]] = MappingProxyType({"2026": _by_id(_2026), "legacy": _by_id(_LEGACY)})
PER_MINUTE: Mapping[str, int] = MappingProxyType({"2026": 6_000, "legacy": 15_000})
DEFAULT_COSTS = "2026"

"""Gmail's quota units per API method, in the two regimes Google runs side by side.

Source: Google's "Usage limits" page, developers.google.com/workspace/gmail/api/reference/quota
(read Nov 2026). Since 2026-05-01:

- `2026`: Cloud projects created on or after 2026-05-01 get 6,000 units per user per minute
  (1,200,000 per project) and new, higher per-method costs for reads.
- `legacy`: projects that used the Gmail API between Nov 2025 and Apr 2026 keep the old table at
  15,000 units per user per minute (Google's tiering page promises at least 60 days' notice).

The legacy table is Google's page as it stood before May 2026. Of the 2026 table, five costs are
corroborated by more than one source (Google's page and others quoting it): messages.list 5,
history.list 2, messages.get 20, threads.get 40, messages.send 100. Three are reported but not
corroborated: messages.attachments.get, drafts.get, messages.trash 20. Every other 2026 cost is
unknown to us and chosen conservatively (see `_2026_UNKNOWN`): a pacer that overestimates a cost
only waits a little early; one that underestimates it meets refusals.

The sandbox keeps its own copy of both tables (it shares no code with the product); a test holds
them equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

CostProfileName = Literal["2026", "legacy"]
PROFILES: tuple[CostProfileName, ...] = ("2026", "legacy")

LEGACY_UNITS: Mapping[str, int] = MappingProxyType(
    {
        "gmail.users.getProfile": 1,
        "gmail.users.labels.list": 1,
        "gmail.users.labels.get": 1,
        "gmail.users.labels.create": 5,
        "gmail.users.labels.update": 5,
        "gmail.users.labels.patch": 5,
        "gmail.users.labels.delete": 5,
        "gmail.users.history.list": 2,
        "gmail.users.messages.list": 5,
        "gmail.users.messages.get": 5,
        "gmail.users.messages.modify": 5,
        "gmail.users.messages.trash": 5,
        "gmail.users.messages.untrash": 5,
        "gmail.users.messages.import": 25,
        "gmail.users.messages.insert": 25,
        "gmail.users.messages.attachments.get": 5,
        "gmail.users.messages.delete": 10,
        "gmail.users.messages.batchModify": 50,
        "gmail.users.messages.batchDelete": 50,
        "gmail.users.messages.send": 100,
        "gmail.users.drafts.list": 5,
        "gmail.users.drafts.get": 5,
        "gmail.users.drafts.delete": 10,
        "gmail.users.drafts.create": 10,
        "gmail.users.drafts.update": 15,
        "gmail.users.drafts.send": 100,
        # Google's pages disagree on threads (5 on the current page, 10 and threads.delete 20 on an
        # older one); the product never deletes threads.
        "gmail.users.threads.list": 5,
        "gmail.users.threads.get": 5,
        "gmail.users.threads.modify": 5,
        "gmail.users.threads.trash": 5,
        "gmail.users.threads.untrash": 5,
        "gmail.users.threads.delete": 20,
        "gmail.users.settings.sendAs.list": 1,
        "gmail.users.settings.sendAs.get": 1,
        "gmail.users.settings.filters.list": 1,
        "gmail.users.settings.filters.get": 1,
        "gmail.users.settings.filters.create": 5,
        "gmail.users.settings.filters.delete": 5,
    }
)

# Corroborated (Google's quota page and independent write-ups quoting it).
_2026_CORROBORATED = {
    "gmail.users.messages.list": 5,
    "gmail.users.history.list": 2,
    "gmail.users.messages.get": 20,
    "gmail.users.threads.get": 40,
    "gmail.users.messages.send": 100,
}
# Reported, not corroborated.
_2026_REPORTED = {
    "gmail.users.messages.attachments.get": 20,
    "gmail.users.drafts.get": 20,
    "gmail.users.messages.trash": 20,
}
# Unknown: chosen conservatively. Every known 2026 change raised a per-message read or write 4x
# (messages.get, attachments.get, drafts.get, trash: 5 -> 20) and left listings alone
# (messages.list, history.list), so: listings keep their legacy cost (threads.list takes 10, the
# higher of Google's two legacy figures), everything else is 4x its legacy cost, and calls on a
# whole thread cost what threads.get does. drafts.send is the same operation as messages.send.
_2026_UNKNOWN = {
    "gmail.users.getProfile": 4,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 4,
    "gmail.users.labels.create": 20,
    "gmail.users.labels.update": 20,
    "gmail.users.labels.patch": 20,
    "gmail.users.labels.delete": 20,
    "gmail.users.messages.modify": 20,
    "gmail.users.messages.untrash": 20,
    "gmail.users.messages.import": 100,
    "gmail.users.messages.insert": 100,
    "gmail.users.messages.delete": 40,
    "gmail.users.messages.batchModify": 200,
    "gmail.users.messages.batchDelete": 200,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.delete": 40,
    "gmail.users.drafts.create": 40,
    "gmail.users.drafts.update": 60,
    "gmail.users.drafts.send": 100,
    "gmail.users.threads.list": 10,
    "gmail.users.threads.modify": 40,
    "gmail.users.threads.trash": 40,
    "gmail.users.threads.untrash": 40,
    "gmail.users.threads.delete": 80,
    "gmail.users.settings.sendAs.list": 1,
    "gmail.users.settings.sendAs.get": 4,
    "gmail.users.settings.filters.list": 1,
    "gmail.users.settings.filters.get": 4,
    "gmail.users.settings.filters.create": 20,
    "gmail.users.settings.filters.delete": 20,
}
UNITS_2026: Mapping[str, int] = MappingProxyType({**_2026_UNKNOWN, **_2026_REPORTED, **_2026_CORROBORATED})

# Units per user per minute of each regime.
PER_MINUTE: Mapping[CostProfileName, int] = MappingProxyType({"2026": 6_000, "legacy": 15_000})


@dataclass(frozen=True)
class CostProfile:
    """One regime: what each method costs and how many units a user may spend per minute."""

    name: CostProfileName
    units: Mapping[str, int]
    per_minute: int

    @classmethod
    def named(cls, name: str) -> CostProfile:
        """The profile called `name` ("2026" or "legacy").

        Raises:
            ValueError: no such profile.
        """
        if name == "2026":
            return cls("2026", UNITS_2026, PER_MINUTE["2026"])
        if name == "legacy":
            return cls("legacy", LEGACY_UNITS, PER_MINUTE["legacy"])
        raise ValueError(f"unknown quota cost profile {name!r}: choose one of {', '.join(PROFILES)}")

    def units_for(self, method_id: str) -> int:
        """Quota units of one call; a method missing from the table costs as much as the dearest read."""
        return self.units.get(method_id, self.units["gmail.users.threads.get"])


DEFAULT_PROFILE = CostProfile.named("2026")


def units_for(method_id: str, profile: CostProfile = DEFAULT_PROFILE) -> int:
    """Quota units of one call under `profile` (the 2026 table unless told otherwise)."""
    return profile.units_for(method_id)

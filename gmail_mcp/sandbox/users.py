"""The Gmail users one sandbox serves: a mailbox and a quota window each, the first the default.

Gmail's paths name a user (`/gmail/v1/users/{userId}/...`): `me` (the token's user) or an address.
A token acts as one user (see `oauth.Identity`); naming anyone else is refused with Gmail's 403
"Delegation denied". Quota is Gmail's per user, so each user has its own window. The concurrency
cap is shared by every user of one sandbox: Gmail's is per user, so the sandbox is the stricter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gmail_mcp.sandbox.apierror import ApiError, invalid, unauthenticated
from gmail_mcp.sandbox.quota import QuotaWindow
from gmail_mcp.sandbox.store import Mailbox


class Users:
    """Every user's mailbox and quota window, by address (case-insensitive), in the order given."""

    def __init__(self, mailboxes: Sequence[Mailbox], per_minute: int, clock: Callable[[], float]) -> None:
        if not mailboxes:
            raise ValueError("a sandbox serves at least one user")
        keys = [m.owner.casefold() for m in mailboxes]
        if len(set(keys)) != len(keys):
            raise ValueError("each user of a sandbox needs an address of its own")
        self._mailboxes = {key: mailbox for key, mailbox in zip(keys, mailboxes, strict=True)}
        self._quota = {key: QuotaWindow(per_minute, clock) for key in keys}

    @property
    def first(self) -> Mailbox:
        """The default user: whom `me` means for a token given without a user."""
        return next(iter(self._mailboxes.values()))

    def addresses(self) -> list[str]:
        return [m.owner for m in self._mailboxes.values()]

    def mailboxes(self) -> list[Mailbox]:
        return list(self._mailboxes.values())

    def find(self, address: str) -> Mailbox | None:
        return self._mailboxes.get(address.strip().casefold())

    def named(self, address: str | None) -> Mailbox:
        """The mailbox of `address` (None: the first user), for control endpoints; 400 if unknown."""
        if address is None:
            return self.first
        found = self.find(address)
        if found is None:
            raise invalid(f"This sandbox has no user {address}; its users: {', '.join(self.addresses())}")
        return found

    def acting(self, token_user: str | None, user_id: str) -> Mailbox:
        """The mailbox a call reaches: the token's user (None: the first), who must be the one the
        path names (`me` or their address).

        Raises:
            ApiError: 401 for a token of a user this sandbox does not have; 403 "Delegation denied"
                for a path naming another user.
        """
        mailbox = self.first if token_user is None else self.find(token_user)
        if mailbox is None:
            raise unauthenticated()
        if user_id != "me" and user_id.strip().casefold() != mailbox.owner.casefold():
            raise ApiError(403, "forbidden", f"Delegation denied for {mailbox.owner}")
        return mailbox

    def quota(self, mailbox: Mailbox) -> QuotaWindow:
        """The user's own quota window."""
        return self._quota[mailbox.owner.casefold()]

    def reset_quota(self) -> None:
        for window in self._quota.values():
            window.reset()

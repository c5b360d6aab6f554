"""Who the account is when it writes: the address it sends as, and whom "reply to all" leaves out.

The addresses an account may send as are Gmail's "Send mail as" list (users.settings.sendAs): its
login, and custom "from" addresses, usable once their owner verified them. An agent may pick one
(`from_alias`), never anything else: Gmail would quietly put the login's address back, and the
person approving would have seen another sender than the one that leaves.

Reply to all answers everyone the email went to: its Reply-To (else From) and To, and its Cc,
without the account's own addresses (the login and every send-as address). When the email was the
account's own, its recipients are answered again, as Gmail does. The addresses come from a hostile
email: each is checked as any recipient is (one that is not a usable address is left out), names
are neutralised, and the allow-list and the confirmation still see every one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, PermissionDeniedError

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend
    from gmail_mcp.content import mime
    from gmail_mcp.models import Message, SendAs
else:
    mime = lazy_module("gmail_mcp.content.mime")

logger = logging.getLogger("gmail_mcp")


@dataclass(frozen=True)
class Identity:
    """The account's login and its send-as addresses, fetched once per message written (not kept:
    an alias removed or added in Gmail counts from the next message on)."""

    login: str
    send_as: tuple[SendAs, ...]

    @classmethod
    def of(cls, backend: MailBackend) -> Identity:
        """Ask the backend: sendAs.list, one small call. Gmail's list always holds the primary
        address (the login), so getProfile is asked only when an answer somehow lacks it."""
        send_as = tuple(backend.list_send_as())
        primary = next((entry.email for entry in send_as if entry.primary), None)
        return cls(primary or backend.get_profile().email_address, send_as)

    def own(self) -> frozenset[str]:
        """Every address that is the account's own, case-folded."""
        return frozenset({self.login.casefold(), *(entry.email.casefold() for entry in self.send_as)})

    def sender(self, from_alias: str) -> SendAs:
        """The send-as address `from_alias` names (case-insensitive).

        Raises:
            InvalidParamsError: not one of the account's send-as addresses (the details list them).
            PermissionDeniedError: one whose verification Gmail still waits for.
        """
        wanted = from_alias.strip().casefold()
        found = next((entry for entry in self.send_as if entry.email.casefold() == wanted), None)
        usable = [entry.email for entry in self.send_as if entry.verified]
        if found is None:
            raise InvalidParamsError(
                f"{from_alias!r} is not an address this account may send as. Use one of: "
                f"{', '.join(usable)} (Gmail's 'Send mail as' settings), or leave from_alias out.",
                from_alias=from_alias,
                send_as=usable,
            )
        if not found.verified:
            raise PermissionDeniedError(
                f"{found.email} is not verified yet, so Gmail would not send from it. Its owner must "
                f"confirm it in Gmail first; meanwhile use one of: {', '.join(usable)}.",
                from_alias=from_alias,
                send_as=usable,
            )
        return found

    def usable(self, address: str) -> SendAs | None:
        """The verified send-as address `address` is, or None (Gmail would send as the login)."""
        wanted = address.strip().casefold()
        return next((e for e in self.send_as if e.email.casefold() == wanted and e.verified), None)


def sender_header(entry: SendAs) -> str:
    """The From header text for a send-as address: its display name (neutralised) and address."""
    return mime.format_address(mime.neutralise(entry.display_name), entry.email)


@dataclass(frozen=True)
class Everyone:
    """Whom a reply to all goes to, before what the agent adds."""

    to: list[str]
    cc: list[str]


def reply_all(parent: Message, own: frozenset[str]) -> Everyone:
    """Everyone `parent` went to, as Gmail's "Reply all" answers them, minus the account's own."""
    to_sender = _mailboxes(parent, "reply-to", "") or _mailboxes(parent, "from", parent.sender)
    written_to = _mailboxes(parent, "to", parent.to)
    written_cc = _mailboxes(parent, "cc", parent.cc)
    from_self = any(_address(entry) in own for entry in _mailboxes(parent, "from", parent.sender))
    to = written_to if from_self else [*to_sender, *written_to]
    kept_to = _without(to, own)
    taken = own | {_address(entry) for entry in kept_to}
    return Everyone(kept_to, _without(written_cc, taken))


def with_everyone(given: str | Sequence[str] | None, found: Sequence[str]) -> list[str]:
    """What the agent gave (kept first, as given) followed by the addresses found."""
    if given is None:
        return list(found)
    listed = [given] if isinstance(given, str) else list(given)
    return [entry for entry in listed if entry.strip()] + list(found)


def _mailboxes(parent: Message, name: str, fallback: str) -> list[str]:
    """The usable mailboxes of every `name` header of `parent`, as "Name <address>" text."""
    values = [header.value for header in parent.payload.headers if header.name.lower() == name]
    if not values and fallback:
        values = [fallback]  # a backend that hands over decoded headers only
    found = []
    for value in values:
        for display, address in mime.decode_addresses(value):
            entry = mime.format_address(mime.neutralise(display), mime.neutralise(address))
            try:
                mime.parse_recipients(entry, name)
            except GmailMcpError:
                logger.info("reply to all leaves out %r: not a usable address", address)
                continue
            found.append(entry)
    return found


def _address(entry: str) -> str:
    return mime.parse_recipients(entry, "recipient")[0].addr_spec.casefold()


def _without(entries: list[str], addresses: frozenset[str]) -> list[str]:
    """`entries` without those addresses and without repeats, in order."""
    kept: list[str] = []
    seen = set(addresses)
    for entry in entries:
        address = _address(entry)
        if address not in seen:
            seen.add(address)
            kept.append(entry)
    return kept

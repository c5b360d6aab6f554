"""users.settings.sendAs: the addresses an account may send as, each with its signature.

Every account has its primary address (the login, `isPrimary`, the default unless another is); the
person may add custom "from" addresses (Gmail's "Send mail as"), which are usable once verified
(`verificationStatus` "accepted"; "pending" until the owner of the address confirms). A signature is
HTML, as Gmail stores it. Resources are written as Google writes protobuf JSON: empty strings and
false booleans are left out, so a client must cope with a missing `displayName` or `signature`.

What Gmail does with the From header of a message it sends (`allows`): an address that is not one of
the account's verified send-as addresses is replaced by the primary address.
"""

from __future__ import annotations

from dataclasses import dataclass

from gmail_mcp.sandbox.apierror import invalid, not_found

VERIFICATION = ("accepted", "pending")


@dataclass
class SendAs:
    """One send-as address."""

    email: str
    display_name: str = ""
    signature: str = ""  # HTML
    reply_to: str = ""
    primary: bool = False
    default: bool = False
    verification: str = "accepted"  # custom addresses only: "accepted" or "pending"
    treat_as_alias: bool = True  # custom addresses only

    @property
    def usable(self) -> bool:
        """Whether mail may be sent from it: the primary, or a verified custom address."""
        return self.primary or self.verification == "accepted"

    def resource(self) -> dict[str, object]:
        """The SendAs resource, without empty or false fields (as Google's JSON leaves them out)."""
        out: dict[str, object] = {
            "sendAsEmail": self.email,
            "displayName": self.display_name,
            "replyToAddress": self.reply_to,
            "signature": self.signature,
            "isPrimary": self.primary,
            "isDefault": self.default,
        }
        if not self.primary:
            out["treatAsAlias"] = self.treat_as_alias
            out["verificationStatus"] = self.verification
        return {key: value for key, value in out.items() if value not in ("", False)}


class SendAsBook:
    """An account's send-as addresses: the primary first, then custom ones in the order added."""

    def __init__(self, owner: str, owner_name: str = "") -> None:
        self._entries = [SendAs(owner, display_name=owner_name, primary=True, default=True)]

    @property
    def primary(self) -> SendAs:
        return self._entries[0]

    def all(self) -> list[SendAs]:
        return list(self._entries)

    def add(
        self,
        email: str,
        *,
        display_name: str = "",
        signature: str = "",
        reply_to: str = "",
        verification: str = "accepted",
        default: bool = False,
    ) -> SendAs:
        """Add a custom "from" address (or, for the primary's address, set its name and signature).

        Raises:
            ValueError: not an address, an unknown verification status, or an address already there.
        """
        if email.count("@") != 1 or any(ch.isspace() for ch in email):
            raise ValueError(f"not an email address: {email!r}")
        if verification not in VERIFICATION:
            raise ValueError(f"verification must be one of {', '.join(VERIFICATION)}")
        if email.casefold() == self.primary.email.casefold():
            self.primary.display_name = display_name or self.primary.display_name
            self.primary.signature = signature
            self.primary.reply_to = reply_to
            entry = self.primary
        else:
            if self.find(email) is not None:
                raise ValueError(f"{email} is already a send-as address")
            entry = SendAs(
                email,
                display_name=display_name,
                signature=signature,
                reply_to=reply_to,
                verification=verification,
            )
            self._entries.append(entry)
        if default:
            for other in self._entries:
                other.default = other is entry
        return entry

    def find(self, email: str) -> SendAs | None:
        """The entry for `email` (case-insensitive), or None."""
        wanted = email.strip().casefold()
        return next((e for e in self._entries if e.email.casefold() == wanted), None)

    def get(self, email: str) -> SendAs:
        """sendAs.get's lookup: 400 for what is not an address, 404 for an address not there."""
        if "@" not in email:
            raise invalid("Invalid sendAsEmail")
        found = self.find(email)
        if found is None:
            raise not_found()
        return found

    def allows(self, address: str) -> bool:
        """Whether Gmail keeps `address` in the From header of mail this account sends."""
        found = self.find(address)
        return found is not None and found.usable

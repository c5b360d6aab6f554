"""Gmail's labels: the fixed system labels and the user's own (`Label_<n>`), with Gmail's rules.

Counts (messagesTotal and friends) depend on messages, so the store adds them; this module only
knows names, ids, visibility and colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from gmail_mcp.sandbox.apierror import ApiError, invalid, not_found

_HIDDEN = {"messageListVisibility": "hide", "labelListVisibility": "labelHide"}

# Gmail's own labels.list output for system labels, in Gmail's order.
SYSTEM_LABELS: dict[str, dict[str, str]] = {
    "CHAT": _HIDDEN,
    "SENT": {},
    "INBOX": {},
    "IMPORTANT": _HIDDEN,
    "TRASH": _HIDDEN,
    "DRAFT": {},
    "SPAM": _HIDDEN,
    "CATEGORY_FORUMS": {},
    "CATEGORY_UPDATES": {},
    "CATEGORY_PERSONAL": {},
    "CATEGORY_PROMOTIONS": {},
    "CATEGORY_SOCIAL": {},
    "STARRED": {},
    "UNREAD": {},
}

# Names a user label may not take (Gmail answers "Invalid label name").
_RESERVED = {name.casefold() for name in SYSTEM_LABELS} | {
    name.casefold()
    for name in (
        *("Inbox", "Sent", "Sent Mail", "Trash", "Bin", "Draft", "Drafts", "Spam", "Starred"),
        *("Important", "Unread", "Chat", "Chats", "All Mail", "Scheduled", "Snoozed"),
    )
}

_MESSAGE_VISIBILITY = ("show", "hide")
_LABEL_VISIBILITY = ("labelShow", "labelShowIfUnread", "labelHide")
# The only colours Gmail accepts, for text and background alike (the discovery document's
# LabelColor description); anything else is a bare 400.
_PALETTE_TEXT = """
    #000000 #434343 #666666 #999999 #cccccc #efefef #f3f3f3 #ffffff #fb4c2f #ffad47 #fad165 #16a766
    #43d692 #4a86e8 #a479e2 #f691b3 #f6c5be #ffe6c7 #fef1d1 #b9e4d0 #c6f3de #c9daf8 #e4d7f5 #fcdee8
    #efa093 #ffd6a2 #fce8b3 #89d3b2 #a0eac9 #a4c2f4 #d0bcf1 #fbc8d9 #e66550 #ffbc6b #fcda83 #44b984
    #68dfa9 #6d9eeb #b694e8 #f7a7c0 #cc3a21 #eaa041 #f2c960 #149e60 #3dc789 #3c78d8 #8e63ce #e07798
    #ac2b16 #cf8933 #d5ae49 #0b804b #2a9c68 #285bac #653e9b #b65775 #822111 #a46a21 #aa8831 #076239
    #1a764d #1c4587 #41236d #83334c #464646 #e7e7e7 #0d3472 #b6cff5 #0d3b44 #98d7e4 #3d188e #e3d7ff
    #711a36 #fbd3e0 #8a1c0a #f2b2a8 #7a2e0b #ffc8af #7a4706 #ffdeb5 #594c05 #fbe983 #684e07 #fdedc1
    #0b4f30 #b3efd3 #04502e #a2dcc1 #c2c2c2 #4986e7 #2da2bb #b99aff #994a64 #f691b2 #ff7537 #ffad46
    #662e37 #ebdbde #cca6ac #094228 #42d692 #16a765 #757575 #1e53b8 #007286 #7858c3 #c2185b #d93025
    #54240e #633e04 #521d28 #202124 #083018
"""
PALETTE = frozenset(_PALETTE_TEXT.split())


@dataclass
class UserLabel:
    """A label the user made."""

    id: str
    name: str
    message_list_visibility: str = "show"
    label_list_visibility: str = "labelShow"
    color: dict[str, str] | None = None

    def resource(self) -> dict[str, object]:
        """The Label resource as labels.list returns it."""
        out: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "messageListVisibility": self.message_list_visibility,
            "labelListVisibility": self.label_list_visibility,
            "type": "user",
        }
        if self.color:
            out["color"] = dict(self.color)
        return out


def system_resource(label_id: str) -> dict[str, object]:
    """A system label as labels.list returns it."""
    return {"id": label_id, "name": label_id, **SYSTEM_LABELS[label_id], "type": "system"}


class LabelBook:
    """Every label of one mailbox, keyed by id."""

    def __init__(self) -> None:
        self._user: dict[str, UserLabel] = {}
        self._next = 1

    def canonical(self, label_id: str) -> str | None:
        """The stored id for a label id as a client sent it (system ids in any case), or None."""
        upper = label_id.upper()
        if upper in SYSTEM_LABELS:
            return upper
        return label_id if label_id in self._user else None

    def require(self, label_ids: list[str]) -> list[str]:
        """Canonical ids, or 400 "Invalid label: X" for the first one that names nothing."""
        out = []
        for label_id in label_ids:
            found = self.canonical(str(label_id))
            if found is None:
                raise invalid(f"Invalid label: {label_id}")
            out.append(found)
        return out

    def by_name(self, name: str) -> str | None:
        """The id of the label with this display name (case-insensitive), system labels included."""
        folded = name.casefold()
        if name.upper() in SYSTEM_LABELS:
            return name.upper()
        return next((label.id for label in self._user.values() if label.name.casefold() == folded), None)

    def user_names(self, label_ids: set[str] | frozenset[str]) -> frozenset[str]:
        """Display names of the user labels among these ids."""
        return frozenset(self._user[i].name for i in label_ids if i in self._user)

    def user_label(self, label_id: str) -> UserLabel | None:
        """A user label by id."""
        return self._user.get(label_id)

    def all_resources(self) -> list[dict[str, object]]:
        """labels.list: system labels first, then the user's, oldest first."""
        return [system_resource(i) for i in SYSTEM_LABELS] + [
            label.resource() for label in self._user.values()
        ]

    def resource(self, label_id: str) -> dict[str, object]:
        """One label without counts, or 404."""
        found = self.canonical(label_id)
        if found is None:
            raise not_found()
        return system_resource(found) if found in SYSTEM_LABELS else self._user[found].resource()

    def create(self, body: dict[str, object]) -> UserLabel:
        """labels.create: a new user label; 400 for a bad name, 409 for a taken one."""
        name = self._valid_name(body.get("name"))
        label = UserLabel(id=f"Label_{self._next}", name=name)
        self._apply(label, body)
        self._next += 1
        self._user[label.id] = label
        return label

    def ensure(self, name: str) -> str:
        """The id of the label with this name, created when missing (seed and `--load`)."""
        found = self.by_name(name)
        if found is not None:
            return found
        return self.create({"name": name}).id

    def update(self, label_id: str, body: dict[str, object], *, patch: bool) -> UserLabel:
        """labels.update (PUT, name required) and labels.patch (only the given fields)."""
        found = self.canonical(label_id)
        if found is None:
            raise not_found()
        if found in SYSTEM_LABELS:
            raise invalid("Invalid update request")
        label = self._user[found]
        if "name" in body or not patch:
            label_name = self._valid_name(body.get("name"), keep=label.id)
        else:
            label_name = label.name
        self._apply(label, body)  # validates before anything below changes
        label.name = label_name
        return label

    def delete(self, label_id: str) -> str:
        """labels.delete: removes a user label (the store strips it from messages)."""
        found = self.canonical(label_id)
        if found is None:
            raise not_found()
        if found in SYSTEM_LABELS:
            raise invalid("Invalid delete request")
        del self._user[found]
        return found

    def _valid_name(self, value: object, keep: str | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise invalid("Invalid label name")
        name = value.strip()
        if name.casefold() in _RESERVED or len(name) > 225:
            raise invalid("Invalid label name")
        taken = self.by_name(name)
        if taken is not None and taken != keep:
            raise ApiError(409, "alreadyExists", "Label name exists or conflicts")
        return name

    @staticmethod
    def _apply(label: UserLabel, body: dict[str, object]) -> None:
        message_visibility = body.get("messageListVisibility", label.message_list_visibility)
        label_visibility = body.get("labelListVisibility", label.label_list_visibility)
        if message_visibility not in _MESSAGE_VISIBILITY:
            raise invalid(f"Invalid value for messageListVisibility: {message_visibility}")
        if label_visibility not in _LABEL_VISIBILITY:
            raise invalid(f"Invalid value for labelListVisibility: {label_visibility}")
        color = body.get("color", label.color)
        if color is not None:
            if not isinstance(color, dict) or not all(
                isinstance(color.get(key), str) and str(color[key]).lower() in PALETTE
                for key in ("textColor", "backgroundColor")
            ):
                raise invalid("Request contains an invalid argument.")
            color = {
                "textColor": str(color["textColor"]).lower(),
                "backgroundColor": str(color["backgroundColor"]).lower(),
            }
        label.message_list_visibility = str(message_visibility)
        label.label_list_visibility = str(label_visibility)
        label.color = color

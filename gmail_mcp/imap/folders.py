"""Folders as labels: which folder plays which role, and the label ids the tools see.

The tools speak Gmail's label ids (INBOX, SENT, DRAFT, TRASH, SPAM, STARRED, UNREAD, IMPORTANT, and
user labels). On Gmail's IMAP, labels are folders already and X-GM-LABELS lists them per message;
on any other server a message's labels are its folder plus its flags. Roles come from the special-use
attributes the server lists (RFC 6154), else from the usual folder names. Folder names arrive
decoded from modified UTF-7 (IMAPClient does it), so a user label id is the folder's own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Role attribute -> the system label id it carries.
ROLE_LABELS: dict[bytes, str] = {
    b"\\Sent": "SENT",
    b"\\Drafts": "DRAFT",
    b"\\Trash": "TRASH",
    b"\\Junk": "SPAM",
    b"\\Important": "IMPORTANT",
    b"\\Flagged": "STARRED",
}
# Names servers without special-use give these folders (lower-case, last path element).
USUAL_NAMES: dict[bytes, tuple[str, ...]] = {
    b"\\Sent": ("sent", "sent items", "sent messages", "sent mail"),
    b"\\Drafts": ("drafts", "draft"),
    b"\\Trash": ("trash", "deleted items", "deleted messages", "bin"),
    b"\\Junk": ("junk", "spam", "junk e-mail", "junk email", "bulk mail"),
    b"\\Archive": ("archive", "archives"),
}
# Gmail's X-GM-LABELS names for its system labels.
GMAIL_SYSTEM: dict[str, str] = {
    "\\Inbox": "INBOX",
    "\\Sent": "SENT",
    "\\Draft": "DRAFT",
    "\\Starred": "STARRED",
    "\\Important": "IMPORTANT",
    "\\Trash": "TRASH",
    "\\Spam": "SPAM",
}
GMAIL_LABEL_NAMES = {label: name for name, label in GMAIL_SYSTEM.items()}
FLAG_LABELS = ("UNREAD", "STARRED")  # kept in flags, not in folders
# Folders a search of "all mail" leaves out, as Gmail does without in:anywhere.
NOT_SEARCHED_BY_DEFAULT = (b"\\Trash", b"\\Junk")
_VIRTUAL = (b"\\Noselect", b"\\NonExistent", b"\\All", b"\\Flagged", b"\\Important")


@dataclass(frozen=True)
class Folder:
    name: str
    flags: frozenset[bytes]
    delimiter: str

    @property
    def selectable(self) -> bool:
        return not ({b"\\Noselect", b"\\NonExistent"} & self.flags)


@dataclass(frozen=True)
class FolderMap:
    """The account's folders and their roles, as listed once (refreshed after a label change)."""

    folders: tuple[Folder, ...]
    roles: dict[bytes, str]  # role attribute -> folder name

    @classmethod
    def from_listing(cls, listing: Iterable[tuple[Sequence[bytes], bytes | None, str]]) -> FolderMap:
        folders = tuple(
            Folder(
                name=str(name), flags=frozenset(_flag(f) for f in flags), delimiter=(delim or b"/").decode()
            )
            for flags, delim, name in listing
        )
        roles: dict[bytes, str] = {}
        for folder in folders:
            for flag in folder.flags:
                if flag in (*ROLE_LABELS, b"\\All", b"\\Archive"):
                    roles.setdefault(flag, folder.name)
        for role, names in USUAL_NAMES.items():
            if role in roles:
                continue
            for folder in folders:
                last = folder.name.rsplit(folder.delimiter, 1)[-1].casefold()
                if folder.selectable and last in names:
                    roles[role] = folder.name
                    break
        return cls(folders, roles)

    def role(self, flag: bytes) -> str | None:
        """The folder playing a role (b"\\Sent", b"\\Trash", b"\\All" ...), or None."""
        return self.roles.get(flag)

    def find(self, name: str) -> Folder | None:
        for folder in self.folders:
            if folder.name == name:
                return folder
        if name.upper() == "INBOX":
            return next((f for f in self.folders if f.name.upper() == "INBOX"), None)
        return None

    def label_of(self, folder: str) -> str | None:
        """The label id a message in `folder` carries (None for an archive or all-mail folder)."""
        if folder.upper() == "INBOX":
            return "INBOX"
        for role, name in self.roles.items():
            if name == folder:
                return ROLE_LABELS.get(role)
        return folder

    def folder_of(self, label: str) -> str | None:
        """The folder a label id (or a folder name) stands for, or None."""
        if label.upper() == "INBOX":
            return "INBOX"
        for role, system in ROLE_LABELS.items():
            if label.upper() == system and role in self.roles:
                return self.roles[role]
        found = self.find(label)
        if found is None:
            found = next((f for f in self.folders if f.name.casefold() == label.casefold()), None)
        return found.name if found and found.selectable else None

    def user_folders(self) -> list[Folder]:
        """Selectable folders that are neither INBOX nor a special role: the user's labels."""
        special = set(self.roles.values())
        return [
            f
            for f in self.folders
            if f.selectable
            and f.name.upper() != "INBOX"
            and f.name not in special
            and not (f.flags & set(_VIRTUAL))
        ]

    def searched_by_default(self) -> list[str]:
        """Every selectable real folder but Trash and Junk (what Gmail searches without in:anywhere)."""
        skipped = {self.roles[r] for r in NOT_SEARCHED_BY_DEFAULT if r in self.roles}
        return [
            f.name
            for f in self.folders
            if f.selectable and f.name not in skipped and not (f.flags & set(_VIRTUAL))
        ]

    def every_folder(self) -> list[str]:
        return [f.name for f in self.folders if f.selectable and not (f.flags & set(_VIRTUAL))]


def _flag(value: bytes | str) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode()
    # Servers differ in case (\Sent, \SENT): compare in the RFC's spelling.
    for known in (*ROLE_LABELS, b"\\All", b"\\Archive", *_VIRTUAL, b"\\HasChildren", b"\\HasNoChildren"):
        if raw.lower() == known.lower():
            return known
    return raw

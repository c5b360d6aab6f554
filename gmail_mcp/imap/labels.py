"""Labels over IMAP: flags for UNREAD and STARRED, X-GM-LABELS on Gmail, folders elsewhere.

On a server without labels a label is a folder: adding one copies the message into that folder
(the message is then in both, as two copies with their own ids), and removing the label of the
folder a message is in moves it to the Archive folder (there is no label-free place otherwise).
Colours and visibility have no IMAP equivalent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from gmail_mcp.common.labels import find_label
from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.imap import folders as roles
from gmail_mcp.imap.mailbox import Mailbox
from gmail_mcp.imap.pool import Connection
from gmail_mcp.models import Label, MessageRef

T = TypeVar("T")
_FLAGS = {"UNREAD": b"\\Seen", "STARRED": b"\\Flagged"}  # UNREAD is the absence of \Seen
_NOT_BY_LABEL = ("TRASH", "SPAM", "SENT", "DRAFT")


class LabelOps:
    """The label half of the IMAP backend (mixed into `ImapBackend`)."""

    box: Mailbox
    _run: Callable[..., Any]
    trash_message: Callable[[str], MessageRef]  # the backend's (client.py)
    untrash_message: Callable[[str], MessageRef]

    def modify_message(
        self, message_id: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> MessageRef:
        """Add and remove labels (ids or names) on one message.

        Raises:
            InvalidParamsError: TRASH, SPAM, SENT or DRAFT (use the trash and draft tools), or a
                change a server without labels cannot make.
            NotFoundError: the message, or a label, does not exist.
        """
        for label in (*add, *remove):
            if label.upper() in _NOT_BY_LABEL:
                raise InvalidParamsError(
                    f"{label} cannot be added or removed as a label here; use the trash and draft tools.",
                    label=label,
                )

        def work(conn: Connection) -> MessageRef:
            folder, uid = self.box.locate(conn, message_id, write=True)
            conn.select(folder, write=True)
            for label in add:
                self._change(conn, uid, folder, label, adding=True)
            moved_to = None
            for label in remove:
                moved_to = self._change(conn, uid, folder, label, adding=False) or moved_to
            if moved_to is not None:
                return moved_to
            message = self.box.headers_message(conn, folder, uid, message_id)
            extra = (
                []
                if self.box.gmail
                else [self._label_id(label) for label in add if label.upper() not in _FLAGS]
            )
            return MessageRef(
                id=message.id,
                thread_id=message.thread_id,
                label_ids=tuple(dict.fromkeys([*message.label_ids, *extra])),
            )

        return self._run(work, f"Labels of email {message_id}", changes=True, email_id=message_id)

    def _change(
        self, conn: Connection, uid: int, folder: str, label: str, *, adding: bool
    ) -> MessageRef | None:
        upper = label.upper()
        client = conn.client
        if upper in _FLAGS:
            flag = _FLAGS[upper]
            # Adding UNREAD removes \Seen; adding STARRED adds \Flagged.
            if adding == (upper != "UNREAD"):
                client.add_flags([uid], [flag], silent=True)
            else:
                client.remove_flags([uid], [flag], silent=True)
            return None
        if self.box.gmail:
            name = roles.GMAIL_LABEL_NAMES.get(upper) or self._folder_for(label)
            store = client.add_gmail_labels if adding else client.remove_gmail_labels
            store([uid], [name], silent=True)
            return None
        target = self._folder_for(label)
        if adding:
            if target != folder:
                client.copy([uid], target)
            return None
        if target != folder:
            return None  # not in that folder: nothing to remove
        archive = self.box.folders().role(b"\\Archive")
        if archive is None:
            raise InvalidParamsError(
                f"This mail server keeps labels as folders and has no Archive folder, so {label} cannot be "
                "removed; add another label (the email is copied there) or trash it.",
                label=label,
            )
        header = self.box.headers_message(conn, folder, uid, str(uid))
        conn.select(folder, write=True)
        if client.has_capability("MOVE"):
            client.move([uid], archive)
        else:
            client.copy([uid], archive)
            client.add_flags([uid], [b"\\Deleted"], silent=True)
            client.uid_expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()
        conn.forget_selection()
        conn.select(archive)
        found = (
            client.search([b"HEADER", b"Message-ID", header.rfc822_message_id.encode()])
            if header.rfc822_message_id
            else []
        )
        if not found:
            return MessageRef(id=header.id, thread_id=header.thread_id, label_ids=())
        moved = self.box.summaries_of(conn, [(archive, max(int(u) for u in found))])[0]
        return MessageRef(id=moved.id, thread_id=moved.thread_id, label_ids=moved.label_ids)

    def _folder_for(self, label: str) -> str:
        found = self.box.folders().folder_of(label)
        if found is None:
            raise NotFoundError(f"No label is called {label!r}.", label=label)
        return found

    def _label_id(self, label: str) -> str:
        return self.box.folders().label_of(self._folder_for(label)) or label

    def batch_modify(
        self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """Change labels on each message; TRASH added or removed moves it to or from the Trash folder
        (as trash_message and untrash_message do), after the other changes or before them."""
        trash = any(label.upper() == "TRASH" for label in add)
        untrash = any(label.upper() == "TRASH" for label in remove)
        add = [label for label in add if label.upper() != "TRASH"]
        remove = [label for label in remove if label.upper() != "TRASH"]
        for message_id in message_ids:
            current = self.untrash_message(message_id).id if untrash else message_id
            if add or remove:
                current = self.modify_message(current, add=add, remove=remove).id
            if trash:
                self.trash_message(current)

    # -- the labels themselves ---------------------------------------------------------------------

    def list_labels(self) -> list[Label]:
        """System labels the server can show, then the user's labels (its other folders)."""
        folder_map = self.box.folders()
        system = ["INBOX"]
        for flag, label in roles.ROLE_LABELS.items():
            if folder_map.role(flag) and label not in ("STARRED", "IMPORTANT"):
                system.append(label)
        system += ["STARRED", "UNREAD"] + (["IMPORTANT"] if self.box.gmail else [])
        found = [Label(id=label, name=label, type="system") for label in dict.fromkeys(system)]
        found += [
            Label(
                id=f.name,
                name=f.name,
                type="user",
                label_list_visibility="labelShow",
                message_list_visibility="show",
            )
            for f in folder_map.user_folders()
        ]
        return found

    def get_label(self, label_id: str) -> Label:
        label = self.resolve_label(label_id)
        folder = self.box.folders().folder_of(label.id)
        if folder is None:
            return label
        status = self._run(
            lambda c: c.client.folder_status(folder, [b"MESSAGES", b"UNSEEN"]), f"Label {label_id}"
        )
        return label.model_copy(
            update={
                "messages_total": int(status.get(b"MESSAGES", 0)),
                "messages_unread": int(status.get(b"UNSEEN", 0)),
            }
        )

    def resolve_label(self, name_or_id: str) -> Label:
        """A label by id, or by name (case-insensitive).

        Raises:
            NotFoundError: no label has that id or name; the details list the names there are.
        """
        return find_label(self.list_labels(), name_or_id)

    def create_label(
        self, name: str, *, text_color: str | None = None, background_color: str | None = None
    ) -> Label:
        """A new label: a new folder (colours have no IMAP equivalent and are not kept)."""
        _check_name(name)
        try:
            self._run(lambda c: c.client.create_folder(name), f"Label {name}", changes=True, label=name)
        finally:
            self.box.forget_folders()
        return self.resolve_label(name)

    def update_label(
        self,
        label_id: str,
        *,
        name: str | None = None,
        text_color: str | None = None,
        background_color: str | None = None,
    ) -> Label:
        if not name:
            raise InvalidParamsError(
                "Only a label's name can change over IMAP: give a new name.", label_id=label_id
            )
        _check_name(name)
        old = self._user_folder(label_id)
        try:
            self._run(lambda c: _rename(c, old, name), f"Label {label_id}", changes=True, label_id=label_id)
        finally:
            self.box.forget_folders()
        return self.resolve_label(name)

    def delete_label(self, label_id: str) -> None:
        """Delete a label: on Gmail the label only (its emails stay in All Mail); elsewhere its folder,
        and only while the folder is empty, since deleting a folder deletes the emails in it.

        Raises:
            InvalidParamsError: a system label, or a folder that still holds emails (nothing deleted).
        """
        folder = self._user_folder(label_id)
        if not self.box.gmail:
            held = self.get_label(label_id).messages_total or 0
            if held:
                raise InvalidParamsError(
                    f"The label {label_id} is a folder on this mail server and holds {held} "
                    f"email{'s' if held != 1 else ''}; deleting the folder would delete them. Remove the "
                    "label from them first (they move to the Archive folder) or move them elsewhere, then "
                    "delete the label. Nothing was deleted.",
                    label_id=label_id,
                    emails=held,
                )
        try:
            self._run(lambda c: _delete(c, folder), f"Label {label_id}", changes=True, label_id=label_id)
        finally:
            self.box.forget_folders()

    def _user_folder(self, label_id: str) -> str:
        label = self.resolve_label(label_id)
        if label.type != "user":
            raise InvalidParamsError(
                f"{label.name} is a system label; it cannot be changed.", label_id=label_id
            )
        return label.id


def _rename(conn: Connection, old: str, new: str) -> None:
    conn.forget_selection()
    conn.client.rename_folder(old, new)


def _delete(conn: Connection, folder: str) -> None:
    conn.forget_selection()
    conn.client.delete_folder(folder)


def _check_name(name: str) -> Literal[True]:
    unusable = any(ch < " " or ch in "*%\x7f" for ch in name)  # control characters, LIST wildcards
    if not name.strip() or unusable or len(name) > 200:
        raise InvalidParamsError(
            f"{name!r} cannot be a label name here (no line breaks, '*' or '%', at most 200 characters).",
            label=name,
        )
    return True

"""Changes to the mailbox other than sending (trash, read state, labels, drafts), and downloads.

Each is audited: what the agent changed, when, and with what outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.actions import downloads, labelnames
from gmail_mcp.actions.account import Account
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend
    from gmail_mcp.models import AttachmentInfo


def trash(account: Account, tool: str, email_id: str) -> None:
    account.audited(tool, lambda: account.backend().trash_message(email_id), email_id=email_id)


def mark_read(account: Account, tool: str, email_id: str) -> None:
    account.audited(
        tool, lambda: account.backend().modify_message(email_id, remove=["UNREAD"]), email_id=email_id
    )


def delete_draft(account: Account, tool: str, draft_id: str) -> None:
    account.audited(tool, lambda: account.backend().delete_draft(draft_id), draft_id=draft_id)


def change_labels(
    account: Account,
    tool: str,
    email_id: str,
    add: Sequence[str],
    remove: Sequence[str],
    *,
    create_missing: bool,
) -> list[str]:
    """Add and remove labels (by name or id) on a message; returns the names it carries after.

    Raises:
        InvalidParamsError: nothing to add or remove.
        NotFoundError: a label that does not exist (and is not to be created).
    """
    if not add and not remove:
        raise InvalidParamsError("Give add_labels or remove_labels.", email_id=email_id)
    backend = account.backend()
    add_ids = [label_id(account, tool, backend, name, create=create_missing) for name in add]
    remove_ids = [label_id(account, tool, backend, name, create=False) for name in remove]
    ref = account.audited(
        tool,
        lambda: backend.modify_message(email_id, add=add_ids, remove=remove_ids),
        email_id=email_id,
        added=add_ids,
        removed=remove_ids,
    )
    return labelnames.shown(ref.label_ids, account.label_names.of(ref.label_ids))


def label_id(account: Account, tool: str, backend: MailBackend, name_or_id: str, *, create: bool) -> str:
    """The id of a label given by name or id; with `create`, a missing label is made (and audited)."""
    try:
        return backend.resolve_label(name_or_id).id
    except NotFoundError:
        if not create:
            raise
    label = account.audited(tool, lambda: backend.create_label(name_or_id), created_label=name_or_id)
    return label.id


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    mime_type: str
    filename: str


def download(account: Account, tool: str, email_id: str, attachment_id: str, save_path: str) -> Downloaded:
    """Save an attachment inside the download jail; refusals and saves are audited.

    The attachment is found by its part in a fresh copy of the email, so an attachment id that
    changed or expired since it was listed still finds it, with its own name and type. The file is
    created before the bytes are fetched and written as they are decoded (memory holds the base64
    once, not the file besides); if anything fails, it is removed again.

    Raises:
        PermissionDeniedError, InvalidParamsError: the jail or a download limit refused it.
        NotFoundError: the email has no such attachment.
        GmailMcpError: Gmail failed (nothing is left on disk).
    """
    backend = account.backend()
    info, inline = backend.find_attachment(email_id, attachment_id)
    try:
        account.downloads.check_file(info.size, info.filename)
        with downloads.new_download(
            save_path, info.filename, account.settings.download_dirs, account.downloads
        ) as out:
            if inline is None:
                backend.save_attachment_part(email_id, info, out.write)
            else:
                out.write(inline)
    except (InvalidParamsError, PermissionDeniedError) as exc:
        account.audit.record(tool, "refused", error_code=exc.code, email_id=email_id, reason=exc.message)
        raise
    except GmailMcpError as exc:
        account.audit.record(tool, "error", error_code=exc.code, email_id=email_id, reason=exc.message)
        raise
    account.audit.record(tool, "ok", email_id=email_id, path=str(out.path), size=out.size)
    return Downloaded(out.path, out.size, info.mime_type, info.filename)


def attachment_ref(info: AttachmentInfo) -> str:
    """The id a tool lists for an attachment: Gmail's attachment id, or a reference to its part."""
    from gmail_mcp.models import PART_REFERENCE  # the models load with the first mail read

    return info.attachment_id or PART_REFERENCE + info.part_id

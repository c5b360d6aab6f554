"""Sending and drafting: every outgoing message is checked, built, approved and audited here.

A server that reads private mail, receives untrusted content in every email, and can send mail
holds all three parts of the "lethal trifecta". So every outgoing message is checked (header
injection, recipient count and allow-list), attachments come only from allowed folders (never
dotfiles, this server's secrets, devices or FIFOs), a send goes ahead only with the person's
approval when one is required, and every outcome is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmail_mcp.actions import jail
from gmail_mcp.actions.account import Account
from gmail_mcp.actions.approval import Decision, require_approval
from gmail_mcp.errors import InvalidParamsError, NotFoundError, PermissionDeniedError
from gmail_mcp.lazy import lazy_module

if TYPE_CHECKING:
    from email.headerregistry import Address

    from gmail_mcp.backend import MailBackend
    from gmail_mcp.content import mime
    from gmail_mcp.models import Draft, Message, MessageRef
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail

MAX_RECIPIENTS = 100  # Gmail's limit per message through the API
MESSAGE_ID_DOMAIN = "gmail-mcp.local"


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send or save, with what a person needs to approve it."""

    tool: str
    raw: bytes
    thread_id: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    attachments: tuple[str, ...]

    def audit_fields(self) -> dict[str, Any]:
        return {
            "recipients": [*self.to, *self.cc, *self.bcc],
            "thread_id": self.thread_id,
            "attachments": list(self.attachments),
        }


# -- checks ------------------------------------------------------------------------------------


def check_recipients(
    account: Account,
    to: str | Sequence[str] | None,
    cc: str | Sequence[str] | None,
    bcc: str | Sequence[str] | None,
) -> tuple[list[Address], list[Address], list[Address]]:
    """Parsed To, Cc and Bcc, within Gmail's count and the allow-list.

    Raises:
        InvalidParamsError: no recipient, an invalid address, or too many.
        PermissionDeniedError: an address outside --allow-recipient.
    """
    parsed_to = mime.parse_recipients(to, "recipient")
    if not parsed_to:
        raise InvalidParamsError("Give at least one recipient address.", field="recipient")
    parsed_cc = mime.parse_recipients(cc, "cc")
    parsed_bcc = mime.parse_recipients(bcc, "bcc")
    everyone = [*parsed_to, *parsed_cc, *parsed_bcc]
    if len(everyone) > MAX_RECIPIENTS:
        raise InvalidParamsError(
            f"{len(everyone)} recipients: Gmail allows at most {MAX_RECIPIENTS} per message.",
            recipients=len(everyone),
        )
    allowed = account.settings.allowed_recipients
    refused = [a.addr_spec for a in everyone if not recipient_allowed(allowed, a.addr_spec)]
    if refused:
        raise PermissionDeniedError(
            f"Sending to {', '.join(refused)} is not allowed: this server only sends to "
            f"{', '.join(allowed)} (--allow-recipient).",
            refused=refused,
        )
    return parsed_to, parsed_cc, parsed_bcc


def recipient_allowed(allowed: Sequence[str], address: str) -> bool:
    """Whether `address` is on the allow-list (an address, or a domain); an empty list allows all."""
    if not allowed:
        return True
    address = address.casefold()
    domain = address.rpartition("@")[2]
    for entry in allowed:
        entry = entry.casefold().lstrip("@")
        if address == entry or ("@" not in entry and domain == entry):
            return True
    return False


def attachment_files(account: Account, paths: Sequence[str]) -> list[mime.OutgoingAttachment]:
    """Read the files to attach, each checked against the attachment jail, within Gmail's limit.

    Raises:
        InvalidParamsError: more files than one call may attach, or too many bytes.
        PermissionDeniedError: the jail refused a file.
    """
    limit = account.settings.max_files_per_call
    if len(paths) > limit:
        raise InvalidParamsError(
            f"{len(paths)} files: one email may attach at most {limit}. Nothing was sent.",
            files=len(paths),
            limit=limit,
        )
    files = []
    total = 0
    for given in paths:
        data = jail.read_attachment(given, account.settings.attachment_dirs, account.protected_files)
        total += len(data)
        if total > mime.MAX_ATTACHMENTS_BYTES:
            raise InvalidParamsError(
                f"Attachments total {total:,} bytes; Gmail allows {mime.MAX_ATTACHMENTS_BYTES:,}. "
                "Nothing was sent.",
                size=total,
                limit=mime.MAX_ATTACHMENTS_BYTES,
            )
        files.append(mime.OutgoingAttachment(filename=Path(given).name, data=data))
    return files


def approved(account: Account, tool: str, decision: Decision, **fields: Any) -> None:
    """Go on only if the person approved the send (or no approval was asked); refusals are audited."""
    try:
        require_approval(decision)
    except PermissionDeniedError as exc:
        account.audit.record(tool, "refused", reason=exc.message, **fields)
        raise


# -- building --------------------------------------------------------------------------------


def prepare(
    account: Account,
    *,
    tool: str,
    to: str | Sequence[str] | None,
    cc: str | None,
    bcc: str | None,
    subject: str,
    body: str,
    thread_id: str | None = None,
    attachment_paths: Sequence[str] = (),
    attachments: Sequence[mime.OutgoingAttachment] = (),
) -> Outgoing:
    """Check and build a message; refusals are audited and raised."""
    try:
        mime.check_header_value(subject, "subject")
        parsed_to, parsed_cc, parsed_bcc = check_recipients(account, to, cc, bcc)
        files = [*attachments, *attachment_files(account, attachment_paths)]
        in_reply_to = references = None
        if thread_id:
            parent = reply_parent(account.backend(), thread_id)
            thread_id = parent.thread_id
            subject = mime.reply_subject(parent.subject or subject)
            if parent.rfc822_message_id:
                in_reply_to, references = mime.reply_references(parent.rfc822_message_id, parent.references)
        message = mime.build_message(
            sender=None,
            to=parsed_to,
            cc=parsed_cc,
            bcc=parsed_bcc,
            subject=subject,
            body=body,
            attachments=files,
            in_reply_to=in_reply_to,
            references=references,
            message_id=mime.make_message_id(MESSAGE_ID_DOMAIN),
        )
    except (InvalidParamsError, PermissionDeniedError) as exc:
        account.audit.record(tool, "refused", error_code=exc.code, reason=exc.message, thread_id=thread_id)
        raise
    return Outgoing(
        tool=tool,
        raw=message.as_bytes(),
        thread_id=thread_id,
        to=tuple(a.addr_spec for a in parsed_to),
        cc=tuple(a.addr_spec for a in parsed_cc),
        bcc=tuple(a.addr_spec for a in parsed_bcc),
        subject=subject,
        attachments=tuple(f.filename for f in files),
    )


def reply_parent(backend: MailBackend, thread_or_message_id: str) -> Message:
    """The message a reply answers: the thread's latest non-draft message, or the given message."""
    try:
        thread = backend.get_thread(thread_or_message_id, headers_only=True)
        candidates = [m for m in thread.messages if "DRAFT" not in m.label_ids]
        if candidates:
            return candidates[-1]
    except NotFoundError:
        pass
    try:
        return backend.get_message(thread_or_message_id)
    except NotFoundError:
        raise NotFoundError(
            f"No thread or email {thread_or_message_id} to reply to; take thread_id from a list or read result.",
            thread_id=thread_or_message_id,
        ) from None


# -- sending and drafts ----------------------------------------------------------------------


def send_new(
    account: Account,
    *,
    tool: str,
    decision: Decision,
    to: str,
    cc: str | None,
    bcc: str | None,
    subject: str,
    body: str,
    thread_id: str | None,
    attachment_paths: Sequence[str] = (),
) -> MessageRef:
    """Send a new message: approved by the person if asked, checked, built, sent at most once."""
    approved(account, tool, decision, recipients=[to, cc, bcc])
    outgoing = prepare(
        account,
        tool=tool,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=body,
        thread_id=thread_id,
        attachment_paths=attachment_paths,
    )
    return send(account, outgoing)


def send(account: Account, outgoing: Outgoing) -> MessageRef:
    return account.audited(
        outgoing.tool,
        lambda: account.backend().send_message(outgoing.raw, thread_id=outgoing.thread_id),
        result_fields=lambda ref: {"email_id": ref.id, "thread_id": ref.thread_id},
        **outgoing.audit_fields(),
    )


def save_draft(account: Account, outgoing: Outgoing, draft_id: str | None = None) -> Draft:
    def save() -> Draft:
        if draft_id:
            return account.backend().update_draft(draft_id, outgoing.raw, thread_id=outgoing.thread_id)
        return account.backend().create_draft(outgoing.raw, thread_id=outgoing.thread_id)

    return account.audited(
        outgoing.tool, save, result_fields=lambda d: {"draft_id": d.id}, **outgoing.audit_fields()
    )


def create_draft(
    account: Account,
    *,
    tool: str,
    to: str,
    cc: str | None,
    bcc: str | None,
    subject: str,
    body: str,
    thread_id: str | None,
) -> Draft:
    """Check, build and save a new draft."""
    outgoing = prepare(
        account, tool=tool, to=to, cc=cc, bcc=bcc, subject=subject, body=body, thread_id=thread_id
    )
    return save_draft(account, outgoing)


def update_draft(
    account: Account,
    *,
    tool: str,
    draft_id: str,
    to: str | None,
    cc: str | None,
    bcc: str | None,
    subject: str | None,
    body: str | None,
) -> Draft:
    """Replace only the given fields of a draft; its attachments are kept."""
    backend = account.backend()
    current = backend.get_draft(draft_id).message
    from gmail_mcp.models import Message  # loaded with the first mail read, not at start

    assert isinstance(current, Message)  # get_draft returns the whole message
    text = body if body is not None else mime.extract_body(current.payload, format="text").content
    outgoing = prepare(
        account,
        tool=tool,
        to=to if to is not None else current.to,
        cc=cc if cc is not None else current.cc,
        bcc=bcc if bcc is not None else current.bcc,
        subject=subject if subject is not None else current.subject,
        body=text,
        thread_id=current.thread_id if current.in_reply_to else None,
        attachments=draft_attachments(backend, current),
    )
    return save_draft(account, outgoing, draft_id=draft_id)


def send_draft(account: Account, *, tool: str, decision: Decision, draft_id: str) -> MessageRef:
    """Send a draft after checking its recipients as any outgoing message is checked."""
    approved(account, tool, decision, draft_id=draft_id)
    message = account.backend().get_draft(draft_id).message
    try:
        to, cc, bcc = check_recipients(
            account, message.to or None, message.cc or None, getattr(message, "bcc", None)
        )
    except (InvalidParamsError, PermissionDeniedError) as exc:
        account.audit.record(tool, "refused", draft_id=draft_id, reason=exc.message)
        raise
    return account.audited(
        tool,
        lambda: account.backend().send_draft(draft_id),
        result_fields=lambda ref: {"email_id": ref.id, "thread_id": ref.thread_id},
        draft_id=draft_id,
        recipients=[a.addr_spec for a in (*to, *cc, *bcc)],
    )


def draft_attachments(backend: MailBackend, message: Message) -> list[mime.OutgoingAttachment]:
    """The files attached to a draft, fetched so that rewriting the draft keeps them."""
    return [
        mime.OutgoingAttachment(
            filename=info.filename,
            data=backend.get_attachment(message.id, info.attachment_id),
            mime_type=info.mime_type,
        )
        for info in mime.list_attachments(message.payload)
        if info.attachment_id and not info.inline
    ]

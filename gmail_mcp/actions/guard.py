"""What the agent may do, enforced on the server: recipients, file jails, replies, audited sends.

A server that reads private mail, receives untrusted content in every email, and can send mail
holds all three parts of the "lethal trifecta". Here every outgoing message is checked (header
injection, recipient count and allow-list), attachments come only from allowed folders (never
dotfiles, this server's secrets, devices or FIFOs), and every change is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gmail_mcp.actions import jail
from gmail_mcp.actions.approval import Decision, require_approval
from gmail_mcp.lazy import lazy_module

if TYPE_CHECKING:
    from email.headerregistry import Address

    from gmail_mcp.content import mime
    from gmail_mcp.models import Draft, Message, MessageRef
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail
from gmail_mcp.actions.audit import AuditLog
from gmail_mcp.backend import MailBackend
from gmail_mcp.config import Settings
from gmail_mcp.errors import (
    AuthError,
    GmailMcpError,
    InvalidParamsError,
    NotFoundError,
    PermissionDeniedError,
)

T = TypeVar("T")
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


class Guard:
    def __init__(self, settings: Settings, audit: AuditLog) -> None:
        self.settings = settings
        self.audit = audit
        self._protected = {settings.paths.token, settings.paths.credentials, settings.paths.audit_log}

    # -- checks ----------------------------------------------------------------------------

    def recipients(
        self, to: str | Sequence[str] | None, cc: str | Sequence[str] | None, bcc: str | Sequence[str] | None
    ) -> tuple[list[Address], list[Address], list[Address]]:
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
        refused = [a.addr_spec for a in everyone if not self._recipient_allowed(a.addr_spec)]
        if refused:
            raise PermissionDeniedError(
                f"Sending to {', '.join(refused)} is not allowed: this server only sends to "
                f"{', '.join(self.settings.allowed_recipients)} (--allow-recipient).",
                refused=refused,
            )
        return parsed_to, parsed_cc, parsed_bcc

    def _recipient_allowed(self, address: str) -> bool:
        allowed = self.settings.allowed_recipients
        if not allowed:
            return True
        address = address.casefold()
        domain = address.rpartition("@")[2]
        for entry in allowed:
            entry = entry.casefold().lstrip("@")
            if address == entry or ("@" not in entry and domain == entry):
                return True
        return False

    def attachment_files(self, paths: Sequence[str]) -> list[mime.OutgoingAttachment]:
        """Read the files to attach, each checked against the attachment jail, within Gmail's limit."""
        files = []
        total = 0
        for given in paths:
            data = jail.read_attachment(given, self.settings.attachment_dirs, self._protected)
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

    def save_download(self, save_path: str, filename: str, data: bytes, *, email_id: str) -> Path:
        """Write an attachment inside the download jail; refusals and saves are audited."""
        try:
            path = jail.write_new(
                jail.download_target(save_path, filename, self.settings.download_dirs), data
            )
        except (InvalidParamsError, PermissionDeniedError) as exc:
            self.audit.record("download-attachment", "refused", email_id=email_id, reason=exc.message)
            raise
        self.audit.record("download-attachment", "ok", email_id=email_id, path=str(path), size=len(data))
        return path

    # -- flows -----------------------------------------------------------------------------

    def prepare(
        self,
        backend: Callable[[], MailBackend],
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
            parsed_to, parsed_cc, parsed_bcc = self.recipients(to, cc, bcc)
            files = [*attachments, *self.attachment_files(attachment_paths)]
            in_reply_to = references = None
            if thread_id:
                parent = self._reply_parent(backend(), thread_id)
                thread_id = parent.thread_id
                subject = mime.reply_subject(parent.subject or subject)
                if parent.rfc822_message_id:
                    in_reply_to, references = mime.reply_references(
                        parent.rfc822_message_id, parent.references
                    )
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
            self.audit.record(tool, "refused", error_code=exc.code, reason=exc.message, thread_id=thread_id)
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

    @staticmethod
    def _reply_parent(backend: MailBackend, thread_or_message_id: str) -> Message:
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

    def send_new(
        self,
        backend: Callable[[], MailBackend],
        *,
        tool: str,
        approval: Decision,
        to: str,
        cc: str | None,
        bcc: str | None,
        subject: str,
        body: str,
        thread_id: str | None,
        attachment_paths: Sequence[str] = (),
    ) -> MessageRef:
        """Send a new message: approved by the person if asked, checked, built, sent at most once."""
        self.approved(tool, approval, recipients=[to, cc, bcc])
        outgoing = self.prepare(
            backend,
            tool=tool,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body=body,
            thread_id=thread_id,
            attachment_paths=attachment_paths,
        )
        return self.send(backend, outgoing)

    def send(self, backend: Callable[[], MailBackend], outgoing: Outgoing) -> MessageRef:
        return self.audited(
            outgoing.tool,
            lambda: backend().send_message(outgoing.raw, thread_id=outgoing.thread_id),
            result_fields=lambda ref: {"email_id": ref.id, "thread_id": ref.thread_id},
            **outgoing.audit_fields(),
        )

    def save_draft(
        self, backend: Callable[[], MailBackend], outgoing: Outgoing, draft_id: str | None = None
    ) -> Draft:
        def save() -> Draft:
            if draft_id:
                return backend().update_draft(draft_id, outgoing.raw, thread_id=outgoing.thread_id)
            return backend().create_draft(outgoing.raw, thread_id=outgoing.thread_id)

        return self.audited(
            outgoing.tool, save, result_fields=lambda d: {"draft_id": d.id}, **outgoing.audit_fields()
        )

    def record_failure(self, tool: str, error: GmailMcpError) -> None:
        """Audit tool calls refused for the login (failed logins); other refusals are audited where made."""
        if isinstance(error, AuthError):
            self.audit.record(tool, "auth-failed", error_code=error.code, reason=error.message)

    def approved(self, tool: str, decision: Decision, **fields: Any) -> None:
        """Go on only if the person approved the send (or no approval was asked); refusals are audited."""
        try:
            require_approval(decision)
        except PermissionDeniedError as exc:
            self.audit.record(tool, "refused", reason=exc.message, **fields)
            raise

    def send_draft(self, backend: Callable[[], MailBackend], draft_id: str) -> MessageRef:
        """Send a draft after checking its recipients as any outgoing message is checked."""
        message = backend().get_draft(draft_id).message
        try:
            to, cc, bcc = self.recipients(
                message.to or None, message.cc or None, getattr(message, "bcc", None)
            )
        except (InvalidParamsError, PermissionDeniedError) as exc:
            self.audit.record("send-draft", "refused", draft_id=draft_id, reason=exc.message)
            raise
        return self.audited(
            "send-draft",
            lambda: backend().send_draft(draft_id),
            result_fields=lambda ref: {"email_id": ref.id, "thread_id": ref.thread_id},
            draft_id=draft_id,
            recipients=[a.addr_spec for a in (*to, *cc, *bcc)],
        )

    def draft_attachments(self, backend: MailBackend, message: Message) -> list[mime.OutgoingAttachment]:
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

    def label_id(self, backend: MailBackend, name_or_id: str, *, create: bool) -> str:
        """The id of a label given by name or id; with `create`, a missing label is made."""
        try:
            return backend.resolve_label(name_or_id).id
        except NotFoundError:
            if not create:
                raise
        label = self.audited(
            "manage-labels", lambda: backend.create_label(name_or_id), created_label=name_or_id
        )
        return label.id

    def audited(
        self,
        tool: str,
        action: Callable[[], T],
        *,
        result_fields: Callable[[T], dict[str, Any]] | None = None,
        **fields: Any,
    ) -> T:
        """Run a mailbox change and record its outcome (with `result_fields(result)` when given)."""
        try:
            result = action()
        except GmailMcpError as exc:
            self.audit.record(tool, "error", error_code=exc.code, **fields)
            raise
        self.audit.record(tool, "ok", **{**fields, **(result_fields(result) if result_fields else {})})
        return result

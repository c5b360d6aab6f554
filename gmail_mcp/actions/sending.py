"""Sending and drafting: a prepared message is approved, recorded, then sent or saved, exactly.

A server that reads private mail, receives untrusted content in every email, and can send mail
holds all three parts of the "lethal trifecta". So every outgoing message is prepared and
checked in `outgoing.py` (header injection, recipient count and allow-list, attachment jail, the
bytes read back), a send goes ahead only with the person's approval when one is required, and
every outcome is audited. Fail closed: a message that could not be prepared, a question that
could not be asked, or an audit entry that could not be written means nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from gmail_mcp.actions import forwarding, identity
from gmail_mcp.actions.account import Account
from gmail_mcp.actions.approval import Decision, require_approval
from gmail_mcp.actions.outgoing import (
    Outgoing,
    Prepared,
    Refused,
    attempt,
    draft_content,
    prepare,
    prepare_draft,
    ready,
)
from gmail_mcp.common import steps
from gmail_mcp.errors import CancelledCallError, InvalidParamsError, PermissionDeniedError

if TYPE_CHECKING:
    from gmail_mcp.models import Draft, MessageRef

T = TypeVar("T")

__all__ = [
    "Prepared",
    "create_draft",
    "prepare_draft_send",
    "prepare_forward",
    "prepare_send",
    "send",
    "subject_of",
    "update_draft",
]


def prepare_send(
    account: Account,
    *,
    tool: str,
    to: str,
    cc: str | None,
    bcc: str | None,
    subject: str,
    body: str,
    thread_id: str | None,
    attachment_paths: Sequence[str] = (),
    reply_all: bool = False,
    from_alias: str | None = None,
) -> Prepared:
    """A new message to send, prepared (or why not, audited); see `outgoing.prepare`."""
    return attempt(
        account,
        tool,
        lambda: prepare(
            account,
            tool=tool,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body=body,
            thread_id=thread_id,
            attachment_paths=attachment_paths,
            reply_all=reply_all,
            from_alias=from_alias,
        ),
    )


def prepare_forward(
    account: Account,
    *,
    tool: str,
    email_id: str,
    to: str,
    cc: str | None,
    bcc: str | None,
    note: str,
    from_alias: str | None,
) -> Prepared:
    """A forward of an email, prepared (or why not, audited); see `forwarding.prepare_forward`."""
    return attempt(
        account,
        tool,
        lambda: forwarding.prepare_forward(
            account,
            tool=tool,
            email_id=email_id,
            to=to,
            cc=cc,
            bcc=bcc,
            note=note,
            from_alias=from_alias,
        ),
    )


def subject_of(prepared: Prepared) -> str:
    """The subject a prepared message carries (a reply's comes from its thread), "" if refused."""
    return "" if isinstance(prepared, Refused) else prepared.envelope.subject


def prepare_draft_send(account: Account, *, tool: str, draft_id: str) -> Prepared:
    """An existing draft to send, read from its bytes and checked (or why not, audited)."""
    return attempt(account, tool, lambda: prepare_draft(account, tool=tool, draft_id=draft_id))


def send(account: Account, prepared: Prepared, decision: Decision) -> MessageRef:
    """Send exactly the prepared bytes, if the person approved them (or no approval was needed).

    A draft is sent with its checked bytes in the same call (drafts.send with the message), so a
    change to the draft after the check (another client, a concurrent draft update) cannot go out.

    Raises:
        GmailMcpError: why it was not prepared; PermissionDeniedError when not approved or when
            the audit log cannot be written; the backend's errors.
    """
    outgoing = ready(prepared)
    _approved(account, outgoing, decision)
    backend = account.backend()
    draft_id = outgoing.draft_id
    if draft_id is not None:
        action: Callable[[], MessageRef] = lambda: backend.send_draft(  # noqa: E731
            draft_id, raw=outgoing.raw, thread_id=outgoing.thread_id
        )
    else:
        action = lambda: backend.send_message(outgoing.raw, thread_id=outgoing.thread_id)  # noqa: E731
    return _recorded(account, outgoing, action, lambda ref: {"email_id": ref.id, "thread_id": ref.thread_id})


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
    reply_all: bool = False,
    from_alias: str | None = None,
) -> Draft:
    """Check, build and save a new draft; its message carries the subject saved."""
    outgoing = ready(
        attempt(
            account,
            tool,
            lambda: prepare(
                account,
                tool=tool,
                to=to,
                cc=cc,
                bcc=bcc,
                subject=subject,
                body=body,
                thread_id=thread_id,
                reply_all=reply_all,
                from_alias=from_alias,
            ),
        )
    )
    backend = account.backend()
    draft = _recorded(
        account,
        outgoing,
        lambda: backend.create_draft(outgoing.raw, thread_id=outgoing.thread_id),
        lambda d: {"draft_id": d.id},
    )
    return _with_subject(draft, outgoing)


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
    """Replace only the given fields of a draft; its recipients (every header instance), text and
    files are otherwise kept, read from its raw bytes.

    Raises:
        InvalidParamsError: no field given (nothing is read or written), or a bad one.
    """

    def make() -> Outgoing:
        if (to, cc, bcc, subject, body) == (None, None, None, None, None):
            raise InvalidParamsError(
                "Nothing to change: give recipient, subject, message, cc or bcc (the fields left out "
                "are kept). The draft was not touched.",
                draft_id=draft_id,
            )
        backend = account.backend()
        current = draft_content(backend, draft_id)
        # Still from the address it was written from when that is one the account may send as (its
        # signature is in the text already); any other From is dropped, as Gmail would replace it.
        sender = identity.Identity.of(backend).usable(current.sender) if current.sender else None
        return prepare(
            account,
            tool=tool,
            to=to if to is not None else current.to,
            cc=cc if cc is not None else current.cc,
            bcc=bcc if bcc is not None else current.bcc,
            subject=subject if subject is not None else current.subject,
            body=body if body is not None else current.body,
            thread_id=current.thread_id,
            attachments=current.attachments,
            draft_id=draft_id,
            sender=sender,
            signature=False,
        )

    outgoing = ready(attempt(account, tool, make))
    backend = account.backend()
    draft = _recorded(
        account,
        outgoing,
        lambda: backend.update_draft(draft_id, outgoing.raw, thread_id=outgoing.thread_id),
        lambda d: {"draft_id": d.id},
    )
    return _with_subject(draft, outgoing)


def _with_subject(draft: Draft, outgoing: Outgoing) -> Draft:
    """The saved draft with the subject it was saved with (Gmail's answer carries ids only)."""
    return draft.model_copy(
        update={"message": draft.message.model_copy(update={"subject": outgoing.envelope.subject})}
    )


def _approved(account: Account, outgoing: Outgoing, decision: Decision) -> None:
    """Go on only if the person approved the send (or no approval was asked); refusals are audited."""
    try:
        require_approval(decision)
    except PermissionDeniedError as exc:
        account.audit.record(
            outgoing.tool,
            "refused",
            reason=exc.message,
            confirmation=decision.outcome,
            **outgoing.audit_fields(),
        )
        raise


def _recorded(
    account: Account,
    outgoing: Outgoing,
    action: Callable[[], T],
    result_fields: Callable[[T], dict[str, object]],
) -> T:
    """Run `action` once an audit entry saying what is about to happen has been written.

    Checked last for a cancel: a call the client cancelled sends and saves nothing (audited).

    Raises:
        PermissionDeniedError: the audit log cannot be written (nothing is sent or saved).
        CancelledCallError: the client cancelled the call (nothing is sent or saved).
    """
    try:
        steps.current().check()
    except CancelledCallError:
        account.audit.record(outgoing.tool, "cancelled", reason="nothing was sent", **outgoing.audit_fields())
        raise
    if not account.audit.record(outgoing.tool, "attempt", **outgoing.audit_fields()):
        raise PermissionDeniedError(
            f"Nothing was sent: the audit log {account.audit.path} cannot be written, and this server "
            "sends nothing it cannot record. Fix the folder's permissions or free disk space, then "
            "call again.",
            audit_log=str(account.audit.path),
        )
    return account.audited(outgoing.tool, action, result_fields=result_fields, **outgoing.audit_fields())

"""Every outgoing message is prepared here: checked, built, and read back from its own bytes.

The invariant (issue 12): the recipients (every To, Cc and Bcc header instance), the subject and
the files that leave are exactly the ones the allow-list checked, the person approved and the
audit records. So a message is built, its bytes are read back by a strict reader
(`mime.read_envelope`), and the result must equal what was meant, or nothing is sent. What the
question shows, what the audit records and what the allow-list checked is that read-back
`Outgoing.envelope`, never the arguments. A draft written by another client is read from its raw
bytes (format=raw), so a second To or Bcc header is seen by all three.

Preparing never raises to its caller (`attempt`): a failure of any kind becomes a `Refused`,
already audited, that the tool raises when it runs; nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gmail_mcp.actions import identity, jail
from gmail_mcp.actions.account import Account
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.config import CONFIRM_PREVIEW_CHARS
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from email.headerregistry import Address

    from gmail_mcp.backend import MailBackend
    from gmail_mcp.content import mime
    from gmail_mcp.content.envelope import Envelope
    from gmail_mcp.models import Message, RawDraft, SendAs
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail

logger = logging.getLogger("gmail_mcp")

MAX_RECIPIENTS = 100  # Gmail's limit per message through the API
MESSAGE_ID_DOMAIN = "gmail-mcp.local"
_REFUSALS = ("INVALID_PARAMS", "PERMISSION_DENIED")


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send or save: its bytes, and what those bytes really send."""

    tool: str
    raw: bytes
    thread_id: str | None
    envelope: Envelope  # read back from `raw`
    preview: str = ""  # the start of the body, for the person to check
    draft_id: str | None = None  # the existing draft this is (to send) or replaces (an update)

    def audit_fields(self) -> dict[str, Any]:
        envelope = self.envelope
        return {
            "recipients": list(envelope.recipients()),
            "to": list(envelope.to),
            "cc": list(envelope.cc),
            "bcc": list(envelope.bcc),
            "subject": envelope.subject,
            "attachments": [a.filename for a in envelope.attachments],
            "from": envelope.sender,
            "thread_id": self.thread_id,
            "draft_id": self.draft_id,
        }


@dataclass(frozen=True)
class Refused:
    """Why a message could not be prepared (already audited); raised when the tool runs."""

    error: GmailMcpError


Prepared = Outgoing | Refused


def attempt(account: Account, tool: str, make: Callable[[], Outgoing]) -> Prepared:
    """`make()`, or a `Refused` for any failure, audited: preparing never lets an error through.

    Fail closed: an unexpected exception is a refusal too, never an approval or a send.
    """
    try:
        return make()
    except GmailMcpError as exc:
        outcome = "refused" if exc.code in _REFUSALS else "error"
        account.audit.record(tool, outcome, error_code=exc.code, reason=exc.message, details=exc.details)
        return Refused(exc)
    except Exception as exc:
        logger.exception("%s: preparing the message failed", tool)
        error = GmailMcpError(
            f"Preparing the email failed unexpectedly ({type(exc).__name__}); nothing was sent. The "
            "server log has the details.",
            tool=tool,
        )
        account.audit.record(tool, "error", error_code=error.code, reason=error.message)
        return Refused(error)


def ready(prepared: Prepared) -> Outgoing:
    """The prepared message.

    Raises:
        GmailMcpError: why it could not be prepared.
    """
    if isinstance(prepared, Refused):
        raise prepared.error
    return prepared


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
    check_allowed(account, [a.addr_spec for a in (*parsed_to, *parsed_cc, *parsed_bcc)])
    return parsed_to, parsed_cc, parsed_bcc


def check_allowed(account: Account, everyone: Sequence[str]) -> None:
    """Every address within Gmail's count and the allow-list.

    Raises:
        InvalidParamsError: too many recipients.
        PermissionDeniedError: an address outside --allow-recipient.
    """
    if len(everyone) > MAX_RECIPIENTS:
        raise InvalidParamsError(
            f"{len(everyone)} recipients: Gmail allows at most {MAX_RECIPIENTS} per message.",
            recipients=len(everyone),
        )
    allowed = account.settings.allowed_recipients
    refused = [address for address in everyone if not recipient_allowed(allowed, address)]
    if refused:
        raise PermissionDeniedError(
            f"Sending to {', '.join(refused)} is not allowed: this server only sends to "
            f"{', '.join(allowed)} (--allow-recipient). Nothing was sent.",
            refused=refused,
        )


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
        name = mime.check_header_value(Path(given).name, "attachment_paths")
        files.append(mime.OutgoingAttachment(filename=name, data=data))
    return files


# -- new messages --------------------------------------------------------------------------------


def prepare(
    account: Account,
    *,
    tool: str,
    to: str | Sequence[str] | None,
    cc: str | Sequence[str] | None,
    bcc: str | Sequence[str] | None,
    subject: str,
    body: str,
    thread_id: str | None = None,
    attachment_paths: Sequence[str] = (),
    attachments: Sequence[mime.OutgoingAttachment] = (),
    draft_id: str | None = None,
    reply_all: bool = False,
    from_alias: str | None = None,
    signature: bool = True,
    sender: SendAs | None = None,
) -> Outgoing:
    """Check and build a message, then read its bytes back and compare them with what was checked.

    A reply's subject comes from the email it answers: neutralised (decoded fully, line breaks,
    controls and bidi characters removed) before it goes anywhere near a header. `reply_all` adds
    everyone that email went to (see `identity.reply_all`); `from_alias` sends as one of the
    account's verified send-as addresses, with its Gmail signature unless `signature` is False
    (`sender`: one already looked up).

    Raises:
        InvalidParamsError: a bad address, subject or file, `reply_all` without `thread_id`, an
            address the account may not send as, or a message that cannot be read back.
        PermissionDeniedError: an address off the allow-list, a file outside the jail, a send-as
            address not verified, or bytes that would send something other than what was checked.
        NotFoundError: no thread or email `thread_id` to reply to.
    """
    subject = mime.check_header_value(subject, "subject").strip()
    if from_alias is not None:
        mime.check_header_value(from_alias, "from_alias")
    if reply_all and not thread_id:
        raise InvalidParamsError(
            "reply_all answers everyone on an email: give its thread_id (or the email's id) too.",
            field="reply_all",
        )
    if not reply_all:
        check_recipients(account, to, cc, bcc)  # refused before anything is asked of Gmail
    files = [*attachments, *attachment_files(account, attachment_paths)]
    backend = account.backend()
    who = identity.Identity.of(backend) if (reply_all or from_alias) else None
    in_reply_to = references = None
    if thread_id:
        parent = reply_parent(backend, thread_id)
        thread_id = parent.thread_id
        subject = mime.reply_subject(mime.neutralise(parent.subject) or subject)
        if parent.rfc822_message_id:
            in_reply_to, references = thread_ids(parent.rfc822_message_id, parent.references)
        if reply_all and who is not None:
            everyone = identity.reply_all(parent, who.own())
            to = identity.with_everyone(to, everyone.to)
            cc = identity.with_everyone(cc, everyone.cc)
            if not (to or cc or identity.with_everyone(bcc, ())):
                raise InvalidParamsError(
                    "reply_all found no one on this email but you (its sender and recipients are your "
                    "own addresses): give recipient_id to say whom to answer.",
                    field="reply_all",
                )
    return build(
        account,
        tool=tool,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=body,
        thread_id=thread_id,
        attachments=files,
        in_reply_to=in_reply_to,
        references=references,
        sender=who.sender(from_alias) if who is not None and from_alias else sender,
        signature=signature,
        draft_id=draft_id,
    )


def build(
    account: Account,
    *,
    tool: str,
    to: str | Sequence[str] | None,
    cc: str | Sequence[str] | None,
    bcc: str | Sequence[str] | None,
    subject: str,
    body: str,
    thread_id: str | None,
    attachments: Sequence[mime.OutgoingAttachment] = (),
    in_reply_to: str | None = None,
    references: str | None = None,
    sender: SendAs | None = None,
    signature: bool = True,
    kind: Literal["text", "markdown", "html"] | None = None,
    draft_id: str | None = None,
) -> Outgoing:
    """Check the recipients, build the message and read its bytes back (every message is made here).

    Raises:
        InvalidParamsError: a bad or missing address, or bytes that cannot be read back.
        PermissionDeniedError: an address off the allow-list, or bytes that would send something
            other than what was checked.
    """
    parsed_to, parsed_cc, parsed_bcc = check_recipients(account, to, cc, bcc)
    message = mime.build_message(
        sender=identity.sender_header(sender) if sender is not None else None,
        to=parsed_to,
        cc=parsed_cc,
        bcc=parsed_bcc,
        subject=subject,
        body=body,
        attachments=attachments,
        in_reply_to=in_reply_to,
        references=references,
        message_id=mime.make_message_id(MESSAGE_ID_DOMAIN),
        kind=kind,
        signature_html=sender.signature if sender is not None and signature else None,
    )
    raw = message.as_bytes()
    meant = mime.Envelope(
        to=tuple(a.addr_spec for a in parsed_to),
        cc=tuple(a.addr_spec for a in parsed_cc),
        bcc=tuple(a.addr_spec for a in parsed_bcc),
        subject=subject,
        attachments=tuple(mime.Attached.of(f.filename, f.data) for f in attachments),
        sender=sender.email if sender is not None else "",
    )
    envelope = verified(raw, meant)
    return Outgoing(tool, raw, thread_id, envelope, _preview(body), draft_id)


_OWN_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "subject", "date", "message-id", "in-reply-to", "references", "mime-version"}
    | {"content-type", "content-transfer-encoding"}
)


def verified(raw: bytes, meant: Envelope) -> Envelope:
    """What `raw` really sends, which must be `meant`, with only the headers we write, once each.

    Raises:
        PermissionDeniedError: any difference (an extra recipient, header, file or another subject).
        InvalidParamsError: the bytes cannot be read reliably.
    """
    names = mime.header_names(raw)
    strange = sorted({n for n in names if n not in _OWN_HEADERS or names.count(n) > 1})
    actual = mime.read_envelope(raw)
    problems = mime.envelope_differences(meant, actual)
    if strange:
        problems.append(f"it would carry headers nobody wrote or repeated ones: {', '.join(strange)}")
    if problems:
        raise PermissionDeniedError(
            "Refused: the message built is not the one that was checked (" + "; ".join(problems) + "). "
            "Nothing was sent.",
            problems=problems,
        )
    return actual


def thread_ids(message_id: str, references: str) -> tuple[str | None, str | None]:
    """In-Reply-To and References for a message answering (or forwarding) the one with these
    headers, keeping only well-formed ids from the email."""
    in_reply_to, kept_references = mime.reply_references(message_id, references)
    kept = [one for one in kept_references.split() if _plain_id(one)]
    return (in_reply_to if _plain_id(in_reply_to) else None), (" ".join(kept) or None)


def _plain_id(message_id: str) -> bool:
    inner = message_id[1:-1]
    return (
        len(message_id) > 2
        and message_id.startswith("<")
        and message_id.endswith(">")
        and all("!" <= ch <= "~" and ch not in "<>" for ch in inner)
    )


def _preview(body: str) -> str:
    text = mime.clean_text(body)
    return text if len(text) <= CONFIRM_PREVIEW_CHARS else text[:CONFIRM_PREVIEW_CHARS].rstrip() + " ..."


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


# -- existing drafts -----------------------------------------------------------------------------


def prepare_draft(account: Account, *, tool: str, draft_id: str) -> Outgoing:
    """A draft as it would be sent: its stored bytes, every recipient in them checked.

    Raises:
        NotFoundError: no such draft.
        InvalidParamsError: no recipient, too many, or bytes that cannot be read reliably.
        PermissionDeniedError: a recipient off the allow-list.
    """
    draft = account.backend().get_draft_raw(draft_id)
    envelope = mime.read_envelope(draft.raw)
    for address in envelope.recipients():
        mime.parse_recipients(address, "recipient")  # a valid address, as for any message
    if not envelope.recipients():
        raise InvalidParamsError(f"Draft {draft_id} has no recipient; add one first.", draft_id=draft_id)
    check_allowed(account, envelope.recipients())
    body = mime.extract_body(mime.parse_rfc822(draft.raw), format="text").content
    return Outgoing(tool, draft.raw, draft.thread_id or None, envelope, _preview(body), draft_id)


@dataclass(frozen=True)
class DraftContent:
    """What updating a draft keeps of it: its recipients, subject, text, files and thread."""

    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    body: str
    attachments: list[mime.OutgoingAttachment]
    thread_id: str | None
    sender: str | None = None  # the From address the draft was written with, if any


def draft_content(backend: MailBackend, draft_id: str) -> DraftContent:
    """A draft's content read from its raw bytes (every recipient header instance, its files).

    Text from the draft is treated as any email's: names and the subject are neutralised.
    """
    draft: RawDraft = backend.get_draft_raw(draft_id)
    root = mime.parse_rfc822(draft.raw)
    mailboxes: dict[str, list[str]] = {"from": [], "to": [], "cc": [], "bcc": []}
    for header in root.headers:
        field = header.name.strip().lower()
        if field in mailboxes:
            mailboxes[field] += [
                mime.format_address(mime.neutralise(name), address)
                for name, address in mime.decode_addresses(header.value)
            ]
    parts = {part.part_id: part for part in root.walk()}
    files = [
        mime.OutgoingAttachment(
            filename=mime.neutralise(info.filename) or "attachment",
            data=parts[info.part_id].data or b"",
            mime_type=info.mime_type,
        )
        for info in mime.list_attachments(root)
        if not info.inline
    ]
    return DraftContent(
        to=mailboxes["to"],
        cc=mailboxes["cc"],
        bcc=mailboxes["bcc"],
        subject=mime.neutralise(root.header("Subject") or ""),
        body=mime.extract_body(root, format="text").content,
        attachments=files,
        thread_id=(draft.thread_id or None) if root.header("In-Reply-To") else None,
        sender=mime.parse_recipients(mailboxes["from"][0], "sender")[0].addr_spec
        if mailboxes["from"]
        else None,
    )

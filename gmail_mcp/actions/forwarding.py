"""Forwarding an email: a new message built from the original's bytes, sent like any other.

Gmail's API has no forward method. The original is fetched once as its raw bytes (every part,
attachments included: one call, nothing written to disk), the forward is written as Gmail's web
interface writes one (`content/forward.py`), and it is threaded into the original's conversation
in the sender's own mailbox (threadId, In-Reply-To, References, a "Fwd:" subject Gmail's threading
rule accepts). From there it is an ordinary outgoing message: checked and read back in
`outgoing.build`, then approved, audited and sent exactly once by `sending.send`. A large one goes
through the upload endpoint as every large send does (the backend decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gmail_mcp.actions import identity
from gmail_mcp.actions.account import Account
from gmail_mcp.actions.outgoing import Outgoing, build, check_recipients, thread_ids
from gmail_mcp.common.lazy import lazy_module

if TYPE_CHECKING:
    from gmail_mcp.content import mime
else:
    mime = lazy_module("gmail_mcp.content.mime")


def prepare_forward(
    account: Account,
    *,
    tool: str,
    email_id: str,
    to: str | Sequence[str],
    cc: str | Sequence[str] | None,
    bcc: str | Sequence[str] | None,
    note: str,
    from_alias: str | None = None,
) -> Outgoing:
    """The forward of email `email_id` to these recipients, with `note` above it, checked.

    Raises:
        InvalidParamsError: a bad address, files over Gmail's limit, or bytes that cannot be read back.
        PermissionDeniedError: an address off the allow-list, or a send-as address not verified.
        NotFoundError: no such email.
    """
    check_recipients(account, to, cc, bcc)  # refused before anything is fetched
    backend = account.backend()
    sender = identity.Identity.of(backend).sender(from_alias) if from_alias else None
    original = backend.get_raw_message(email_id)
    root = mime.parse_rfc822(original.raw)
    body = mime.extract_body(root, include_quoted=True)
    forward = mime.forward(root, note, body.content, body.content_type != "text")
    # Threaded under the original (well-formed ids only, as for a reply).
    in_reply_to, references = thread_ids(root.header("Message-ID") or "", root.header("References") or "")
    return build(
        account,
        tool=tool,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=forward.subject,
        body=forward.body,
        thread_id=original.thread_id,
        attachments=forward.attachments,
        in_reply_to=in_reply_to,
        references=references,
        sender=sender,
        kind=forward.kind,
    )

"""Sending and saving drafts exactly once, whatever Gmail does to Message-IDs and its index.

Gmail replaces the Message-ID of what it sends and indexes new mail for search only after a
while, so neither can tell whether a send whose answer was lost went out. Instead every outgoing
message carries a random, unguessable reference in a neutral header (`X-Entity-Ref-ID`, which
many mailers use; Gmail keeps custom headers), and after an ambiguous failure (5xx, reset, lost
answer) the newest messages of the SENT label (DRAFT for a new draft) are listed by label, which
Gmail updates at once, and their metadata read for that header. Found: the call took effect and
its result is returned. Not found: it is made again. Still ambiguous at the end: the outcome is
unknown and reported as such ("may have been sent; check Sent before trying again"), never as a
failure.

A draft written elsewhere carries no reference, so `drafts.send` is reconciled by whether the
draft still exists (a sent draft is gone; a draft can be sent only once, so sending it again is
safe while it exists) and then confirmed among the newest SENT messages, which never include the
draft itself.

Messages whose JSON request would exceed 4 MiB go through the upload endpoint instead (Gmail
refuses larger JSON bodies with 413): multipart up to 5 MB, resumable above.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import json
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from googleapiclient.http import MediaIoBaseUpload

from gmail_mcp.errors import GmailMcpError, NotFoundError, UpstreamError
from gmail_mcp.gmail.errors import Target
from gmail_mcp.gmail.executor import Executor
from gmail_mcp.gmail.resources import GmailResources

JSON = dict[str, Any]
REF_HEADER = "X-Entity-Ref-ID"
LOOK_BACK = 10  # newest messages of a label searched for a reference (one small batch)
UPLOAD_ABOVE = 4 * 1024 * 1024  # encoded JSON request size above which the upload endpoint is used
RESUMABLE_ABOVE = 5 * 1024 * 1024  # raw size above which Google advises a resumable upload
UPLOAD_CHUNK = 4 * 1024 * 1024
SAME_SEND_SECONDS = 120  # how far a sent draft's date may lie before our send began (clock skew)
_REF_FIELD = re.compile(rb"(?im)^x-entity-ref-id[ \t]*:.*(?:\r?\n[ \t].*)*\r?\n")


def mark(raw: bytes) -> tuple[bytes, str]:
    """The message with a fresh reference header (any it had removed), and the reference."""
    reference = secrets.token_urlsafe(24)
    head_end = _header_end(raw)
    head = _REF_FIELD.sub(b"", raw[:head_end])
    newline = b"\r\n" if b"\r\n" in raw[:head_end] else b"\n"
    return f"{REF_HEADER}: {reference}".encode("ascii") + newline + head + raw[head_end:], reference


def _header_end(raw: bytes) -> int:
    """Where the header block ends (the blank line is kept with the body)."""
    ends = [i + 1 for i in (raw.find(b"\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else len(raw)


def message_request(raw: bytes, outer: JSON, inner: JSON | None) -> JSON:
    """The keyword arguments of a send/draft request carrying `raw`: as base64url JSON, or, when
    that would exceed `UPLOAD_ABOVE`, as an upload with the rest of the body as metadata.

    `outer` is the request body without the message; `inner` the draft's `message` object
    (None for messages.send, whose body is the message itself).
    """
    encoded = base64.urlsafe_b64encode(raw).decode("ascii")
    message = {**(inner or {}), "raw": encoded} if inner is not None else None
    body = {**outer, "message": message} if message is not None else {**outer, "raw": encoded}
    if len(json.dumps(body)) <= UPLOAD_ABOVE:
        return {"body": body}
    metadata = {**outer, **({"message": inner} if inner else {})}
    media = MediaIoBaseUpload(
        io.BytesIO(raw),
        mimetype="message/rfc822",
        chunksize=UPLOAD_CHUNK,
        resumable=len(raw) > RESUMABLE_ABOVE,
    )
    return {"body": metadata or None, "media_body": media}


@dataclass(frozen=True)
class Outline:
    """What a person looks for in Sent or Drafts when an outcome is unknown."""

    subject: str
    recipients: tuple[str, ...]
    attempted_at: str

    @classmethod
    def of_raw(cls, raw: bytes, when: float) -> Outline:
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        return cls.of_headers(
            {name: str(headers.get(name, "")) for name in ("subject", "to", "cc", "bcc")}, when
        )

    @classmethod
    def of_headers(cls, headers: dict[str, str], when: float) -> Outline:
        """From header values by lower-case name."""
        people = ", ".join(v for v in (headers.get(n, "") for n in ("to", "cc", "bcc")) if v)
        return cls(
            subject=headers.get("subject", ""),
            recipients=tuple(p.strip() for p in people.split(",") if p.strip()),
            attempted_at=datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        )

    def details(self) -> dict[str, Any]:
        return {
            "outcome": "unknown",
            "subject": self.subject,
            "recipients": list(self.recipients),
            "attempted_at": self.attempted_at,
        }


class Outbox:
    """messages.send, drafts.create/update/send for one mailbox, each at most once."""

    def __init__(
        self,
        executor: Executor,
        api: GmailResources,
        user: str,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._exec = executor
        self._api = api  # shared with the client, each Resource built once
        self._user = user
        self._now = wall_clock

    def _messages(self) -> Any:
        return self._api.messages

    def _drafts(self) -> Any:
        return self._api.drafts

    # -- the calls ---------------------------------------------------------------------------

    def send(self, raw: bytes, thread_id: str | None) -> JSON:
        """messages.send, at most once (found in SENT by its reference after an ambiguous failure).

        Raises:
            UpstreamError: with `outcome: "unknown"` when it may have been sent.
        """
        raw, reference = mark(raw)
        outline = Outline.of_raw(raw, self._now())
        kwargs = message_request(raw, {"threadId": thread_id} if thread_id else {}, None)
        return dict(
            self._exec.call(
                lambda: self._messages().send(userId=self._user, **kwargs),
                Target.of("Sending"),
                idempotent=False,
                reconcile=lambda: self._labelled_with(reference, "SENT"),
                unknown=partial(_may_have_been_sent, outline),
            )
        )

    def create_draft(self, raw: bytes, thread_id: str | None) -> JSON:
        """drafts.create, at most once (found among the newest drafts by its reference).

        Raises:
            UpstreamError: with `outcome: "unknown"` when it may have been saved.
        """
        raw, reference = mark(raw)
        outline = Outline.of_raw(raw, self._now())
        kwargs = message_request(raw, {}, {"threadId": thread_id} if thread_id else {})
        return dict(
            self._exec.call(
                lambda: self._drafts().create(userId=self._user, **kwargs),
                Target.of("Draft"),
                idempotent=False,
                reconcile=lambda: self._draft_with(reference),
                unknown=partial(_may_have_been_saved, outline),
            )
        )

    def update_draft(self, draft_id: str, raw: bytes, thread_id: str | None) -> JSON:
        """drafts.update: the same content twice is the same draft, so it is retried like a read."""
        raw, _ = mark(raw)
        kwargs = message_request(raw, {"id": draft_id}, {"threadId": thread_id} if thread_id else {})
        return dict(
            self._exec.call(
                lambda: self._drafts().update(userId=self._user, id=draft_id, **kwargs),
                Target.of("Draft", draft_id=draft_id),
            )
        )

    def send_draft(self, draft_id: str, *, raw: bytes | None = None, thread_id: str | None = None) -> JSON:
        """drafts.send, at most once: while the draft exists it was not sent; once it is gone,
        the sent message is confirmed among the newest SENT messages.

        With `raw`, the draft's message is replaced by these bytes in the same call (they carry a
        fresh reference, which then recognises the sent message); without, the draft is sent as it
        is and recognised by its message id, its reference if it has one, or its subject and
        recipients.

        Raises:
            NotFoundError: no such draft.
            UpstreamError: with `outcome: "unknown"` when it may have been sent.
        """
        target = Target.of("Draft", draft_id=draft_id)
        started = self._now()
        if raw is None:
            draft = self._exec.call(
                lambda: self._drafts().get(userId=self._user, id=draft_id, format="metadata"), target
            )
            message = draft.get("message", {})
            headers = _header_map(message)
            message_id, reference = message.get("id", ""), headers.get(REF_HEADER.lower(), "")
            kwargs: JSON = {"body": {"id": draft_id}}
        else:
            raw, reference = mark(raw)
            parsed = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
            headers = {name: str(parsed.get(name, "")) for name in ("subject", "to", "cc", "bcc")}
            message_id = ""  # the replaced message gets a new id
            kwargs = message_request(raw, {"id": draft_id}, {"threadId": thread_id} if thread_id else {})
        outline = Outline.of_headers(headers, started)
        sent = _SentDraft(message_id, reference, headers, started)
        still_a_draft: list[bool] = []  # what the last look found

        def reconcile() -> JSON | None:
            still_a_draft[:] = [False]
            found = self._sent_draft(draft_id, sent)
            still_a_draft[:] = [found is None]
            return found

        def unknown(failure: str) -> GmailMcpError:
            if still_a_draft == [True]:  # a draft that still exists was not sent: that is certain
                return UpstreamError(
                    f"Gmail kept failing ({failure}); the draft was not sent and is still in Drafts. "
                    "Try again in a minute.",
                    draft_id=draft_id,
                    outcome="not_sent",
                )
            return _may_have_been_sent(outline, failure)

        return dict(
            self._exec.call(
                lambda: self._drafts().send(userId=self._user, **kwargs),
                target,
                idempotent=False,
                reconcile=reconcile,
                unknown=unknown,
            )
        )

    # -- looking for an effect ------------------------------------------------------------------

    def _labelled_with(self, reference: str, label: str) -> JSON | None:
        listing = self._exec.call(
            lambda: self._messages().list(
                userId=self._user, labelIds=[label], maxResults=LOOK_BACK, fields="messages(id,threadId)"
            ),
            Target.of("Lookup", label=label),
        )
        ids = [m["id"] for m in listing.get("messages", [])]
        for head in self._heads(ids):
            if _header_map(head).get(REF_HEADER.lower()) == reference:
                return _ref(head)
        return None

    def _draft_with(self, reference: str) -> JSON | None:
        listing = self._exec.call(
            lambda: self._drafts().list(
                userId=self._user, maxResults=LOOK_BACK, fields="drafts(id,message/id)"
            ),
            Target.of("Lookup", label="DRAFT"),
        )
        drafts = {d["message"]["id"]: d["id"] for d in listing.get("drafts", [])}
        for head in self._heads(list(drafts)):
            if _header_map(head).get(REF_HEADER.lower()) == reference:
                return {"id": drafts[head["id"]], "message": _ref(head)}
        return None

    def _sent_draft(self, draft_id: str, sent: _SentDraft) -> JSON | None:
        try:
            self._exec.call(
                lambda: self._drafts().get(userId=self._user, id=draft_id, format="minimal", fields="id"),
                Target.of("Draft", draft_id=draft_id),
            )
        except NotFoundError:
            pass  # gone: sent (or deleted meanwhile); confirm below
        else:
            return None  # still a draft, so not sent: sending it again is safe
        same = self._sent_in_place(sent.message_id)
        if same is not None:
            return same
        listing = self._exec.call(
            lambda: self._messages().list(
                userId=self._user, labelIds=["SENT"], maxResults=LOOK_BACK, fields="messages(id,threadId)"
            ),
            Target.of("Lookup", label="SENT"),
        )
        for head in self._heads([m["id"] for m in listing.get("messages", [])]):
            if sent.is_this(head):
                return _ref(head)
        raise UpstreamError("The draft is gone but its message is not among the newest sent mail.")

    def _sent_in_place(self, message_id: str) -> JSON | None:
        """The draft's own message, if it is now a sent message (one cheap read before a listing)."""
        if not message_id:
            return None
        try:
            found = self._exec.call(
                lambda: self._messages().get(
                    userId=self._user, id=message_id, format="minimal", fields="id,threadId,labelIds"
                ),
                Target.of("Lookup", email_id=message_id),
            )
        except NotFoundError:
            return None  # sent under another id: the listing finds it
        labels = found.get("labelIds", [])
        return _ref(found) if "SENT" in labels and "DRAFT" not in labels else None

    def _heads(self, ids: Sequence[str]) -> list[JSON]:
        """The reference, subject and recipients of each message (ones that vanished skipped).

        Raises:
            GmailMcpError: a lookup failed for good (the caller's outcome is then unknown).
        """
        answers = self._exec.batch(
            [
                partial(
                    self._messages().get,
                    userId=self._user,
                    id=message_id,
                    format="metadata",
                    metadataHeaders=[REF_HEADER, "Subject", "To"],
                    fields="id,threadId,labelIds,internalDate,payload/headers",
                )
                for message_id in ids
            ],
            [Target.of("Lookup", email_id=message_id) for message_id in ids],
        )
        heads = []
        for answer in answers:
            if isinstance(answer, NotFoundError):
                continue
            if isinstance(answer, GmailMcpError):
                raise answer
            heads.append(answer)
        return heads


@dataclass(frozen=True)
class _SentDraft:
    """How to recognise a draft once sent, among messages of the SENT label."""

    message_id: str
    reference: str
    headers: dict[str, str]
    started: float

    def is_this(self, head: JSON) -> bool:
        if "DRAFT" in head.get("labelIds", []):
            return False  # never the draft itself
        found = _header_map(head)
        if head.get("id") == self.message_id:
            return True
        if self.reference:
            return found.get(REF_HEADER.lower()) == self.reference
        # A draft written elsewhere: the same subject and recipients, sent since we began.
        when = int(head.get("internalDate") or 0) / 1000
        return (
            when >= self.started - SAME_SEND_SECONDS
            and found.get("subject", "") == self.headers.get("subject", "")
            and found.get("to", "") == self.headers.get("to", "")
        )


def _header_map(message: JSON) -> dict[str, str]:
    headers = (message.get("payload") or {}).get("headers") or []
    found: dict[str, str] = {}
    for header in headers:
        found.setdefault(str(header.get("name", "")).lower(), str(header.get("value", "")))
    return found


def _ref(head: JSON) -> JSON:
    return {key: head[key] for key in ("id", "threadId", "labelIds") if key in head}


def _may_have_been_sent(outline: Outline, failure: str) -> GmailMcpError:
    return UpstreamError(
        f"Gmail did not confirm whether the email was sent ({failure}), and it could not be found "
        f"in Sent. It may have been sent: check the Sent folder for it (attempted {outline.attempted_at}; "
        "subject and recipients are in error_details) before trying again.",
        **outline.details(),
    )


def _may_have_been_saved(outline: Outline, failure: str) -> GmailMcpError:
    return UpstreamError(
        f"Gmail did not confirm whether the draft was saved ({failure}), and it could not be found "
        f"among the drafts. It may have been saved: check Drafts for it (attempted {outline.attempted_at}; "
        "subject and recipients are in error_details) before creating it again.",
        **outline.details(),
    )

"""GmailClient: the Gmail REST API behind typed methods that return domain models.

Built from the discovery document shipped with google-api-python-client (no network at
start), with the API root as configuration: the root is written into the document, so the batch
and media-upload URLs follow it too (`client_options["api_endpoint"]` would move neither).
Listing with details is one `messages.list` plus one batch of `messages.get` reduced by a `fields`
selection to headers and MIME structure (see `convert.SUMMARY_FIELDS`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from functools import cache, cached_property, partial
from importlib import resources
from typing import TYPE_CHECKING, Any

import httplib2
from googleapiclient.discovery import build_from_document

from gmail_mcp.common import attachments
from gmail_mcp.common.labels import find_label
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.common.pacing import QuotaLimiter
from gmail_mcp.common.retry import Backoff
from gmail_mcp.config import GMAIL_API_ROOT
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, NotFoundError
from gmail_mcp.gmail import convert
from gmail_mcp.gmail.batching import SizeMemory
from gmail_mcp.gmail.batchwire import LeanBatchHttpRequest
from gmail_mcp.gmail.errors import Target
from gmail_mcp.gmail.executor import Executor
from gmail_mcp.gmail.history_filters import HistoryAndFilters
from gmail_mcp.gmail.prefetch import FetchedAhead
from gmail_mcp.gmail.quota import DEFAULT_PROFILE, CostProfile
from gmail_mcp.gmail.resources import GmailResources
from gmail_mcp.gmail.transport import HttpFactory
from gmail_mcp.models import (
    PART_REFERENCE,
    AttachmentInfo,
    Draft,
    DraftPage,
    IdPage,
    Label,
    Message,
    MessagePage,
    MessageRef,
    MessageSummary,
    MimePart,
    Profile,
    RawDraft,
    RawMessage,
    SendAs,
    Thread,
    ThreadPage,
    ThreadSummary,
)

if TYPE_CHECKING:
    from gmail_mcp.content import mime
    from gmail_mcp.gmail import outbox
else:
    outbox = lazy_module("gmail_mcp.gmail.outbox")  # what sends: a server starts without it
    # Bodies and attachments need the MIME code (and the HTML libraries behind it); a listing does
    # not, so a new server's first search need not wait for it: `warm_up` loads it alongside.
    mime = lazy_module("gmail_mcp.content.mime")

MAX_PAGE = 500  # Gmail's cap on maxResults
JSON = dict[str, Any]
_LABELS = ("labels.list",)  # the label list, when fetched ahead (FetchedAhead key)


@cache
def _discovery_document() -> str:
    return (resources.files("googleapiclient") / "discovery_cache/documents/gmail.v1.json").read_text("utf-8")


@cache
def label_palette() -> frozenset[str]:
    """The only colours Gmail takes for labels, as its discovery document lists them (LabelColor)."""
    schema = json.loads(_discovery_document())["schemas"]["LabelColor"]["properties"]["backgroundColor"]
    return frozenset(re.findall(r"#[0-9a-f]{6}", schema["description"].lower()))


def _color(text_color: str | None, background_color: str | None) -> JSON | None:
    """A label's `color`, checked against Gmail's palette (Gmail answers a bare 400 otherwise).

    Raises:
        InvalidParamsError: one colour without the other, or a colour outside the palette.
    """
    if not text_color and not background_color:
        return None
    wanted = {
        "textColor": (text_color or "").strip().lower(),
        "backgroundColor": (background_color or "").strip().lower(),
    }
    outside = [value or "(none)" for value in wanted.values() if value not in label_palette()]
    if outside:
        raise InvalidParamsError(
            f"Gmail takes label colours only from its palette, and both of them: {', '.join(outside)} is not "
            "one (e.g. #000000 black, #ffffff white, #fb4c2f red, #ffad47 orange, #16a766 green, #4a86e8 "
            "blue, #a479e2 purple). error_details lists them all.",
            palette=sorted(label_palette()),
        )
    return wanted


def _raw_answer(request: Any) -> Any:
    """`request`, answering its raw body bytes instead of parsed JSON, and never compressed.

    httplib2 asks for gzip by default and decompresses by joining the pieces: two more copies.
    """
    request.postproc = lambda response, body: body
    request.headers["accept-encoding"] = "identity"
    return request


class GmailClient(HistoryAndFilters):
    """Typed access to one Gmail mailbox. Thread-safe."""

    def __init__(
        self,
        http_factory: HttpFactory,
        *,
        api_root: str = GMAIL_API_ROOT,
        backoff: Backoff | None = None,
        limiter: QuotaLimiter | None = None,
        costs: CostProfile = DEFAULT_PROFILE,
        max_in_flight: int = 10,
        user_id: str = "me",
        clock: Callable[[], float] = time.time,
        fetched_ahead: FetchedAhead | None = None,
        batch_memory: SizeMemory | None = None,
    ) -> None:
        """`batch_memory`: where the batch size learnt for this account is kept (see
        `batching.SizeMemory`); None: the client starts from the reported-safe size."""
        document = json.loads(_discovery_document())
        document["rootUrl"] = document["mtlsRootUrl"] = api_root.rstrip("/") + "/"
        # The placeholder Http is never used: every execute() is given a pooled one.
        self._service = build_from_document(document, http=httplib2.Http())
        self._api = GmailResources(self._service)
        self._user = user_id
        batch_uri = document["rootUrl"] + document.get("batchPath", "batch")
        self._exec = Executor(
            http_factory,
            partial(LeanBatchHttpRequest, batch_uri=batch_uri),
            backoff=backoff or Backoff(),
            limiter=limiter or QuotaLimiter(costs.per_minute),
            costs=costs,
            max_in_flight=max_in_flight,
            sizer=batch_memory.sizer() if batch_memory else None,
        )
        self._wall_clock = clock
        self._attachment_memory = attachments.AttachmentMemory()
        self._labels: list[Label] | None = None
        self._labels_lock = threading.Lock()
        self._ahead = fetched_ahead or FetchedAhead()

    @cached_property
    def _outbox(self) -> outbox.Outbox:
        return outbox.Outbox(self._exec, self._api, self._user, wall_clock=self._wall_clock)

    def warm_up(self) -> None:
        """Have a valid access token before the first call needs one (one refresh, if expired).

        Raises:
            GmailMcpError: the refresh failed (as a call would report it); see `Executor.warm_up`.
        """
        self._exec.warm_up()

    def close(self) -> None:
        """Close the connections kept alive to Gmail (a call made later opens its own)."""
        self._exec.close()

    # -- resources -------------------------------------------------------------------------

    def _messages(self) -> Any:
        return self._api.messages

    def _drafts(self) -> Any:
        return self._api.drafts

    def _labels_api(self) -> Any:
        return self._api.labels

    def _threads(self) -> Any:
        return self._api.threads

    def _get_request(self, message_id: str, format: str, **extra: Any) -> Any:
        return self._api.messages.get(userId=self._user, id=message_id, format=format, **extra)

    def _attachment_request(self, message_id: str, attachment_id: str | None) -> Any:
        return self._api.attachments.get(userId=self._user, messageId=message_id, id=attachment_id)

    # -- messages --------------------------------------------------------------------------

    def list_messages(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        max_results: int = 20,
        page_token: str | None = None,
        include_spam_trash: bool = False,
    ) -> MessagePage:
        """One page of messages with their details: one list call plus one batch of gets.

        When paging (`page_token` given), the listing of the page after this one is fetched while
        this page's details load, so asking for that page next costs only its batch; not when the
        details fill a whole batch, since Gmail counts the listing against the same concurrency cap.
        """
        names_ahead = self._labels is None
        if names_ahead:
            # Results name user labels from the label list (actions/labelnames.py): a client's
            # first listing asks for it beside its own, not after its details (a round trip less).
            self._ahead.fetch(_LABELS, self._labels_answer)
        key = (query, tuple(label_ids), _page_size(max_results), page_token, include_spam_trash)
        listing = self._ahead.take(key) or self._list(*key)
        if names_ahead:
            # Settled before the details go: Gmail counts it among the calls it works on at once.
            self._keep_labels_fetched_ahead()
        ids = [m["id"] for m in listing.get("messages", [])]
        next_token = listing.get("nextPageToken")
        # Gmail counts the listing fetched ahead among the calls it works on at once: it is worth it
        # only while this page's details still fit beside it in one batch.
        if page_token and next_token and len(ids) < self._exec.batch_size:
            following = (*key[:3], next_token, include_spam_trash)
            self._ahead.fetch(following, partial(self._list, *following))
        return MessagePage(
            messages=tuple(self.get_summaries(ids)),
            next_page_token=next_token,
            result_size_estimate=int(listing.get("resultSizeEstimate") or 0),
        )

    def _list(
        self, query: str, label_ids: tuple[str, ...], size: int, page_token: str | None, spam_trash: bool
    ) -> JSON:
        answer: JSON = self._exec.call(
            lambda: self._messages().list(
                userId=self._user,
                q=query or None,
                labelIds=list(label_ids) or None,
                maxResults=size,
                pageToken=page_token or None,
                includeSpamTrash=spam_trash,
            ),
            Target.of("Search", query=query or None, page_token=page_token),
        )
        return answer

    def list_ids(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        max_results: int = MAX_PAGE,
        page_token: str | None = None,
        include_spam_trash: bool = False,
    ) -> IdPage:
        """One page of matching message ids, newest first, without details: one request."""
        listing = self._list(query, tuple(label_ids), _page_size(max_results), page_token, include_spam_trash)
        return IdPage(
            ids=tuple(m["id"] for m in listing.get("messages", [])),
            next_page_token=listing.get("nextPageToken"),
            result_size_estimate=int(listing.get("resultSizeEstimate") or 0),
        )

    def get_summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]:
        """Headers, flags and whether each has attachments, of many messages in batches (their MIME
        structure without bodies: see `convert.SUMMARY_FIELDS`); ones deleted meanwhile are skipped."""
        answers = self._exec.batch(
            [partial(self._get_request, i, "full", fields=convert.SUMMARY_FIELDS) for i in message_ids],
            [Target.of("Message", email_id=i) for i in message_ids],
            alongside=self._ahead.in_progress(),  # a listing fetched ahead takes one of Gmail's slots
        )
        return [convert.summary_from_json(a) for a in _present(answers)]

    def get_message(self, message_id: str) -> Message:
        """A whole message, with any body part Gmail holds back by attachment id fetched."""
        answer = self._exec.call(
            lambda: self._messages().get(userId=self._user, id=message_id, format="full"),
            Target.of("Message", email_id=message_id),
        )
        return self._complete([convert.message_from_json(answer)])[0]

    def get_messages(self, message_ids: Sequence[str]) -> list[Message]:
        """Many whole messages in one batch (per 50); missing ones raise NotFoundError."""
        answers = self._exec.batch(
            [partial(self._get_request, i, "full") for i in message_ids],
            [Target.of("Message", email_id=i) for i in message_ids],
        )
        for answer in answers:
            if isinstance(answer, GmailMcpError):
                raise answer
        return self._complete([convert.message_from_json(a) for a in answers])

    def get_raw(self, message_id: str) -> bytes:
        answer = self._exec.call(
            lambda: self._messages().get(userId=self._user, id=message_id, format="raw"),
            Target.of("Message", email_id=message_id),
        )
        return convert.b64url_decode(answer.get("raw", ""))

    def get_raw_message(self, message_id: str) -> RawMessage:
        """A message's exact bytes with its thread: one call, attachments included."""
        answer = self._exec.call(
            lambda: self._messages().get(userId=self._user, id=message_id, format="raw"),
            Target.of("Message", email_id=message_id),
        )
        return RawMessage(
            id=str(answer.get("id") or message_id),
            thread_id=str(answer.get("threadId") or message_id),
            raw=convert.b64url_decode(answer.get("raw", "")),
        )

    def send_message(self, raw: bytes, *, thread_id: str | None = None) -> MessageRef:
        """Send a raw RFC 822 message, at most once (see `outbox`).

        Raises:
            UpstreamError: with `outcome: "unknown"` when Gmail's answer was lost and the message
                could not be found in Sent: it may have been sent.
        """
        return convert.ref_from_json(self._outbox.send(raw, thread_id))

    def modify_message(
        self, message_id: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> MessageRef:
        answer = self._exec.call(
            lambda: self._messages().modify(
                userId=self._user,
                id=message_id,
                body={"addLabelIds": list(add), "removeLabelIds": list(remove)},
            ),
            Target.of("Message", email_id=message_id),
        )
        return convert.ref_from_json(answer)

    def batch_modify(
        self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        for start in range(0, len(message_ids), 1000):  # Gmail's cap on ids per call
            chunk = list(message_ids[start : start + 1000])
            body = {"ids": chunk, "addLabelIds": list(add), "removeLabelIds": list(remove)}
            self._exec.call(
                partial(self._messages().batchModify, userId=self._user, body=body),
                Target.of("Messages", email_ids=chunk),
            )

    def trash_message(self, message_id: str) -> MessageRef:
        answer = self._exec.call(
            lambda: self._messages().trash(userId=self._user, id=message_id),
            Target.of("Message", email_id=message_id),
        )
        return convert.ref_from_json(answer)

    def untrash_message(self, message_id: str) -> MessageRef:
        answer = self._exec.call(
            lambda: self._messages().untrash(userId=self._user, id=message_id),
            Target.of("Message", email_id=message_id),
        )
        return convert.ref_from_json(answer)

    def find_attachment(self, message_id: str, reference: str) -> tuple[AttachmentInfo, bytes | None]:
        """An attachment found by its part in a fresh copy of the message, with its bytes when Gmail
        sent them inline (else None, and the info carries a fresh attachment id).

        `reference` is the attachment id a tool listed (stale or expired ones included: Gmail's
        change on every fetch), ``part:<id>`` or a part id, or the attachment's filename.

        Raises:
            NotFoundError: the message has no such attachment; the details list what it has.
        """
        message = self.get_message(message_id)
        listed = mime.list_attachments(message.payload)
        info = attachments.find(listed, reference, self._attachment_memory.recall(message_id, reference))
        if info is None:
            raise NotFoundError(
                f"Email {message_id} has no attachment {reference!r} (an old attachment id that is no "
                "longer valid cannot be traced): pass the part_id or filename of one of those in "
                "error_details.",
                email_id=message_id,
                attachment_id=reference,
                attachments=[{"filename": a.filename, "part_id": a.part_id} for a in listed],
            )
        inline = next((p.data for p in message.payload.walk() if p.part_id == info.part_id), None)
        return info, inline

    def save_attachment_part(
        self, message_id: str, attachment: AttachmentInfo, write: Callable[[bytes], object]
    ) -> int:
        """Hand an attachment `find_attachment` found to `write` a piece at a time; returns its size.

        If its fresh id expired already (a slow link, a short lifetime), one more fresh copy of the
        message gives another; `save_attachment` writes nothing before Gmail's answer is complete,
        so the retry cannot duplicate bytes.
        """
        try:
            return self.save_attachment(message_id, attachment.attachment_id or "", write)
        except (InvalidParamsError, NotFoundError):
            again = mime.list_attachments(self.get_message(message_id).payload)
            fresh = attachments.find(again, f"{PART_REFERENCE}{attachment.part_id}", None) or attachment
            return self.save_attachment(message_id, fresh.attachment_id or "", write)

    def get_attachment_part(self, message_id: str, reference: str) -> tuple[AttachmentInfo, bytes]:
        """`find_attachment` with the bytes fetched, for callers that need them in memory."""
        info, inline = self.find_attachment(message_id, reference)
        if inline is not None:
            return info, inline
        data = bytearray()
        self.save_attachment_part(message_id, info, data.extend)
        return info, bytes(data)

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        data = bytearray()
        self.save_attachment(message_id, attachment_id, data.extend)
        return bytes(data)

    def save_attachment(self, message_id: str, attachment_id: str, write: Callable[[bytes], object]) -> int:
        """Hand the attachment to `write` a piece at a time; returns its size.

        The answer's body is kept as bytes and decoded out of it piece by piece (see
        `convert.attachment_pieces`): memory holds the base64 once, never the whole file besides.
        """
        body = self._exec.call(
            lambda: _raw_answer(self._attachment_request(message_id, attachment_id)),
            Target.of("Attachment", attachment_id=attachment_id, email_id=message_id),
        )
        size = 0
        for piece in convert.attachment_pieces(body):
            write(piece)
            size += len(piece)
        return size

    def _complete(self, messages: list[Message]) -> list[Message]:
        """Fetch, in one batch, the body parts and forwarded messages Gmail returned by reference.

        Raises:
            GmailMcpError: a body part could not be fetched (a forward that cannot stays unread).
        """
        completed = []
        for message in messages:
            payload = mime.expand(message.payload)
            listed = mime.list_attachments(payload)
            # Whatever id a tool lists, its part can be found again.
            self._attachment_memory.remember(message.id, listed)
            completed.append(message.model_copy(update={"payload": payload, "has_attachments": bool(listed)}))
        messages = completed
        wanted = [(i, part) for i, m in enumerate(messages) for part in mime.parts_to_fetch(m.payload)]
        if not wanted:
            return messages
        answers = self._exec.batch(
            [partial(self._attachment_request, messages[i].id, part.attachment_id) for i, part in wanted],
            [
                Target.of("Attachment", attachment_id=p.attachment_id, email_id=messages[i].id)
                if p.mime_type in mime.ENCLOSED_TYPES
                else Target.of("The body of email", email_id=messages[i].id, part_id=p.part_id)
                for i, p in wanted
            ],
        )
        replacements: dict[int, dict[str, MimePart]] = {}
        for (index, part), answer in zip(wanted, answers, strict=True):
            if isinstance(answer, GmailMcpError):
                if part.mime_type in mime.ENCLOSED_TYPES:
                    continue  # listed as an attachment without its text, rather than failing the read
                raise answer  # without its body an email would read as empty: say the read failed
            data = convert.b64url_decode(answer.get("data", ""))
            replacements.setdefault(index, {})[part.part_id] = mime.fill(part, data)
        return [
            m.model_copy(update={"payload": mime.replace_parts(m.payload, replacements[i])})
            if i in replacements
            else m
            for i, m in enumerate(messages)
        ]

    # -- threads ---------------------------------------------------------------------------

    def list_threads(
        self, query: str = "", *, max_results: int = 20, page_token: str | None = None
    ) -> ThreadPage:
        listing = self._exec.call(
            lambda: self._threads().list(
                userId=self._user,
                q=query or None,
                maxResults=_page_size(max_results),
                pageToken=page_token or None,
            ),
            Target.of("Search", query=query or None),
        )
        return ThreadPage(
            threads=tuple(
                ThreadSummary(id=t["id"], snippet=convert.snippet(t.get("snippet", "")))
                for t in listing.get("threads", [])
            ),
            next_page_token=listing.get("nextPageToken"),
            result_size_estimate=int(listing.get("resultSizeEstimate") or 0),
        )

    def get_thread(self, thread_id: str, *, headers_only: bool = False) -> Thread:
        """A whole conversation, oldest first, in one request (only headers when `headers_only`)."""
        answer = self._exec.call(
            lambda: self._threads().get(
                userId=self._user,
                id=thread_id,
                format="metadata" if headers_only else "full",
                metadataHeaders=list(convert.THREADING_HEADERS) if headers_only else None,
            ),
            Target.of("Thread", thread_id=thread_id),
        )
        thread = convert.thread_from_json(answer, structure=not headers_only)
        if headers_only:
            return thread
        return thread.model_copy(update={"messages": tuple(self._complete(list(thread.messages)))})

    # -- drafts ----------------------------------------------------------------------------

    def list_drafts(
        self, *, query: str = "", max_results: int = 10, page_token: str | None = None
    ) -> DraftPage:
        """One page of drafts with their messages' details: one list call plus one batch."""
        listing = self._exec.call(
            lambda: self._drafts().list(
                userId=self._user,
                q=query or None,
                maxResults=_page_size(max_results),
                pageToken=page_token or None,
            ),
            Target.of("Drafts", query=query or None),
        )
        items = listing.get("drafts", [])
        summaries = {s.id: s for s in self.get_summaries([d["message"]["id"] for d in items])}
        drafts = [
            Draft(id=d["id"], message=summaries[d["message"]["id"]])
            for d in items
            if d["message"]["id"] in summaries
        ]
        return DraftPage(
            drafts=tuple(drafts),
            next_page_token=listing.get("nextPageToken"),
            result_size_estimate=int(listing.get("resultSizeEstimate") or 0),
        )

    def get_draft(self, draft_id: str) -> Draft:
        """A draft with its whole message (`Draft.message` is a `Message`)."""
        answer = self._exec.call(
            lambda: self._drafts().get(userId=self._user, id=draft_id, format="full"),
            Target.of("Draft", draft_id=draft_id),
        )
        message = self._complete([convert.message_from_json(answer["message"])])[0]
        return Draft(id=answer["id"], message=message)

    def get_draft_raw(self, draft_id: str) -> RawDraft:
        """A draft's RFC 822 bytes exactly as stored (every header instance, Bcc included)."""
        answer = self._exec.call(
            lambda: self._drafts().get(userId=self._user, id=draft_id, format="raw"),
            Target.of("Draft", draft_id=draft_id),
        )
        message = answer.get("message") or {}
        return RawDraft(
            id=answer["id"],
            message_id=str(message.get("id", "")),
            thread_id=str(message.get("threadId", "")),
            raw=convert.b64url_decode(message.get("raw", "")),
        )

    def create_draft(self, raw: bytes, *, thread_id: str | None = None) -> Draft:
        """Save a new draft, at most once (see `outbox`); large ones through the upload endpoint."""
        return convert.draft_from_json(self._outbox.create_draft(raw, thread_id))

    def update_draft(self, draft_id: str, raw: bytes, *, thread_id: str | None = None) -> Draft:
        """Replace a draft's message; large ones through the upload endpoint."""
        return convert.draft_from_json(self._outbox.update_draft(draft_id, raw, thread_id))

    def send_draft(
        self, draft_id: str, *, raw: bytes | None = None, thread_id: str | None = None
    ) -> MessageRef:
        """Send a draft at most once: reconciled by whether the draft still exists, confirmed in Sent.

        With `raw`, Gmail replaces the draft's message by exactly these bytes and sends them in
        the same call (drafts.send with a message), so what was checked and approved is what
        leaves even if another client changes the draft meanwhile.

        Raises:
            NotFoundError: no such draft.
            UpstreamError: with `outcome: "unknown"` when it may have been sent.
        """
        return convert.ref_from_json(self._outbox.send_draft(draft_id, raw=raw, thread_id=thread_id))

    def delete_draft(self, draft_id: str) -> None:
        self._exec.call(
            lambda: self._drafts().delete(userId=self._user, id=draft_id),
            Target.of("Draft", draft_id=draft_id),
            missing_ok=True,
        )

    # -- labels ----------------------------------------------------------------------------

    def list_labels(self) -> list[Label]:
        """Every label; cached for the life of the process, refreshed after a label change."""
        return self._cached_labels(fetch=True) or []

    def _keep_labels_fetched_ahead(self) -> None:
        """Wait for the label list fetched ahead and keep it; if it failed, the names are asked
        for when they are needed, and meet the error there."""
        self._cached_labels(fetch=False)

    def _cached_labels(self, *, fetch: bool) -> list[Label] | None:
        """The cached labels, else the list fetched ahead, else (`fetch`) a labels.list now."""
        with self._labels_lock:
            if self._labels is None:
                answer = self._ahead.take(_LABELS) or (self._labels_answer() if fetch else None)
                if answer is not None:
                    self._labels = [convert.label_from_json(label) for label in answer.get("labels", [])]
            return None if self._labels is None else list(self._labels)

    def _labels_answer(self) -> JSON:
        answer: JSON = self._exec.call(
            lambda: self._labels_api().list(userId=self._user), Target.of("Labels")
        )
        return answer

    def _forget_labels(self) -> None:
        with self._labels_lock:
            self._labels = None
            self._ahead.discard(_LABELS)  # a list fetched ahead may predate the change

    def get_label(self, label_id: str) -> Label:
        """One label with its message counts."""
        answer = self._exec.call(
            lambda: self._labels_api().get(userId=self._user, id=label_id),
            Target.of("Label", label_id=label_id),
        )
        return convert.label_from_json(answer)

    def resolve_label(self, name_or_id: str) -> Label:
        """A label by id, or by name (case-insensitive).

        Raises:
            NotFoundError: no label has that id or name; the details list the names there are.
        """
        return find_label(self.list_labels(), name_or_id)

    def create_label(
        self, name: str, *, text_color: str | None = None, background_color: str | None = None
    ) -> Label:
        body: JSON = {"name": name, "labelListVisibility": "labelShow", "messageListVisibility": "show"}
        color = _color(text_color, background_color)
        if color:
            body["color"] = color
        try:
            answer = self._exec.call(
                lambda: self._labels_api().create(userId=self._user, body=body),
                Target.of("Label", label=name),
                idempotent=False,
                reconcile=lambda: self._find_label_json(name),
            )
        finally:
            self._forget_labels()
        return convert.label_from_json(answer)

    def _find_label_json(self, name: str) -> JSON | None:
        self._forget_labels()
        for label in self.list_labels():
            if label.name.casefold() == name.casefold():
                return {"id": label.id, "name": label.name, "type": label.type}
        return None

    def update_label(
        self,
        label_id: str,
        *,
        name: str | None = None,
        text_color: str | None = None,
        background_color: str | None = None,
    ) -> Label:
        body: JSON = {"name": name} if name else {}
        color = _color(text_color, background_color)
        if color:
            body["color"] = color
        if not body:
            raise InvalidParamsError("Nothing to change: give a new name or colours.", label_id=label_id)
        try:
            answer = self._exec.call(
                lambda: self._labels_api().patch(userId=self._user, id=label_id, body=body),
                Target.of("Label", label_id=label_id),
            )
        finally:
            self._forget_labels()
        return convert.label_from_json(answer)

    def delete_label(self, label_id: str) -> None:
        try:
            self._exec.call(
                lambda: self._labels_api().delete(userId=self._user, id=label_id),
                Target.of("Label", label_id=label_id),
                missing_ok=True,
            )
        finally:
            self._forget_labels()

    # -- account ---------------------------------------------------------------------------

    def get_profile(self) -> Profile:
        answer = self._exec.call(lambda: self._api.users.getProfile(userId=self._user), Target.of("Profile"))
        return convert.profile_from_json(answer)

    def list_send_as(self) -> list[SendAs]:
        """The addresses the account may send as, its login first, with their signatures."""
        answer = self._exec.call(
            lambda: self._api.send_as.list(userId=self._user), Target.of("Send-as addresses")
        )
        return [convert.send_as_from_json(entry) for entry in answer.get("sendAs", [])]


def _page_size(requested: int) -> int:
    return max(1, min(int(requested), MAX_PAGE))


def _present(answers: list[Any]) -> list[JSON]:
    """Batch answers without the messages that vanished between list and get; other errors raise."""
    present = []
    for answer in answers:
        if isinstance(answer, NotFoundError):
            continue
        if isinstance(answer, GmailMcpError):
            raise answer
        present.append(answer)
    return present

"""Resumable streamable HTTP: every SSE event has an id, kept a while per session for replay.

A client whose SSE stream breaks (a laptop lid, a proxy timeout, a server that closes a stream
while a call runs) reconnects with a GET carrying `Last-Event-ID`, and the server replays what
that stream sent after that event, then goes on with what it sends next. The MCP SDK's transport
does the replaying; it needs an `EventStore` to remember the events, and gives every event an id
only when it has one.

One store per session, in memory, bounded: the SDK names streams by the JSON-RPC request id
("1", "2", ...), which every session reuses, so a store shared by sessions would hand one
session's answers to another session presenting an event id it saw elsewhere. Each session keeps
its newest events up to a count and a size; older ones are forgotten (a `Last-Event-ID` older
than that replays nothing: the client has to call again). Messages are kept as their JSON text,
which is what they cost on the wire.

A stream opens with a priming event (an id, no data, and the `retry` delay) for clients of
protocol 2025-11-25 or newer, so even a stream that breaks before its first message can be
resumed. Older clients cannot read such an event. Which clients those are is decided by the
version the session negotiated at `initialize`, not by one request's `MCP-Protocol-Version`
header alone: a client that agreed on 2025-11-25 reads priming events on every stream, even
when a request of its names an older version (the official conformance suite does so).
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mcp.server.streamable_http import (
    EventCallback,
    EventId,
    EventMessage,
    EventStore,
    SSEEvent,
    StreamableHTTPServerTransport,
    StreamId,
)
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.message import SessionMessage
from mcp.types import (
    JSONRPCError,
    JSONRPCMessage,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
    jsonrpc_message_adapter,
)
from mcp_types.version import is_version_at_least
from starlette.requests import Request

from gmail_mcp.config import HTTP_EVENT_BYTES_PER_SESSION, HTTP_EVENTS_PER_SESSION

logger = logging.getLogger("gmail_mcp")


@dataclass(frozen=True)
class _Event:
    stream: StreamId
    text: str | None  # the message's JSON; None for a priming event (an id and no data)
    last: bool = False  # the answer that ends its stream


class SessionEvents(EventStore):
    """The events of one session, newest kept: at most `max_events`, and at most `max_bytes` of
    message text (the newest event is kept even when it alone is larger)."""

    def __init__(
        self, *, max_events: int = HTTP_EVENTS_PER_SESSION, max_bytes: int = HTTP_EVENT_BYTES_PER_SESSION
    ) -> None:
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._events: OrderedDict[EventId, _Event] = OrderedDict()
        self._bytes = 0
        self._ids = itertools.count(1)

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        text = None if message is None else message.model_dump_json(by_alias=True, exclude_unset=True)
        event_id = str(next(self._ids))
        self._events[event_id] = _Event(stream_id, text, isinstance(message, JSONRPCResponse | JSONRPCError))
        self._bytes += len(text or "")
        while len(self._events) > 1 and (
            len(self._events) > self._max_events or self._bytes > self._max_bytes
        ):
            _, oldest = self._events.popitem(last=False)
            self._bytes -= len(oldest.text or "")
        return event_id

    async def replay_events_after(
        self, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        """Send the events of `last_event_id`'s stream that came after it.

        Returns the stream, for the transport to go on with what it sends next; None when there
        is nothing more to come (the event is not kept, or its stream has ended with its answer),
        and the transport then ends the reconnected stream rather than hold it open for nothing.
        """
        since = self._events.get(last_event_id)
        if since is None:
            logger.info("SSE replay asked after an event no longer kept; nothing replayed")
            return None
        # A snapshot: new events may be stored while the callback sends.
        events = list(self._events.items())
        later = list(itertools.dropwhile(lambda item: item[0] != last_event_id, events))[1:]
        for event_id, event in later:
            if event.stream == since.stream and event.text is not None:
                message = jsonrpc_message_adapter.validate_json(event.text, by_name=False)
                await send_callback(EventMessage(message, event_id))
        ended = any(event.last and event.stream == since.stream for _, event in events)
        return None if ended else since.stream


PRIMING_SINCE = "2025-11-25"  # the first protocol whose clients read priming events (SEP-1699)


class SessionTransport(StreamableHTTPServerTransport):
    """The SDK's transport of one session, priming its streams by the version the session agreed,
    and letting a call close its stream (SEP-1699 polling) exactly when that stream was primed."""

    negotiated: str | None = None  # the version the session's initialize asked for (None: not yet)

    def _session_version(self, protocol_version: str) -> str:
        """The version that decides priming: the session's, when a request names an older one."""
        if self.negotiated is not None and not is_version_at_least(protocol_version, PRIMING_SINCE):
            return self.negotiated
        return protocol_version

    async def _mint_priming_event(self, stream_id: StreamId, protocol_version: str) -> SSEEvent | None:
        # The SDK calls this for every SSE stream it opens, first for the session's initialize
        # (with the version its params ask for; the server agrees to it when it supports it, and
        # a version it does not know never primes), then with each request's header.
        if self.negotiated is None:
            self.negotiated = protocol_version
        return await super()._mint_priming_event(stream_id, self._session_version(protocol_version))

    def _create_session_message(
        self, message: JSONRPCRequest, request: Request, request_id: RequestId, protocol_version: str
    ) -> SessionMessage:
        # The SDK offers a call the means to close its stream mid-call (`Context.close_sse_stream`)
        # only to clients that can resume it, judged by the same version as priming: a stream that
        # was primed can be resumed from its priming event, so it may be closed too. No tool of
        # this server closes its stream; the conformance run's fixture tool does.
        return super()._create_session_message(
            message, request, request_id, self._session_version(protocol_version)
        )


class SessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, with a `SessionEvents` store of its own for every session, and
    streams primed by the version the session negotiated (`SessionTransport`)."""

    def _admit_session(self, requestor: Any) -> Any:
        # The SDK hands `self.event_store` to the session it admits; admissions are serialised
        # under its creation lock, so each session gets the store made here.
        self.event_store = SessionEvents()
        transport = super()._admit_session(requestor)
        if type(transport) is StreamableHTTPServerTransport:  # not a subclass the SDK may bring
            # The SDK builds the transport itself; it becomes the subclass that differs from it
            # only in the one method above (no state of its own but a class default).
            transport.__class__ = SessionTransport
        return transport

"""Resumable streamable HTTP against `serve --transport http` as a real process.

Every SSE event carries an id; a client whose stream broke sends a GET with `Last-Event-ID` and
gets what the stream sent after that event (never a 500), from its own session only. Progress
notifications travel on the stream of the call they belong to.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.test_e2e import child_env, free_port, spawn
from tests.test_e2e_http import HTTP

PROTOCOL = "2025-11-25"  # the first version whose clients read priming events (SEP-1699)


@dataclass
class Event:
    id: str | None = None
    data: str = ""
    retry: int | None = None

    def message(self) -> dict[str, Any] | None:
        return json.loads(self.data) if self.data else None


def events(response: httpx2.Response) -> Iterator[Event]:
    """The SSE events of a streamed response, as they arrive."""
    event = Event()
    for line in response.iter_lines():
        if not line:
            if event.id is not None or event.data:
                yield event
            event = Event()
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            event.id = value
        elif name == "data":
            event.data = f"{event.data}\n{value}" if event.data else value
        elif name == "retry":
            event.retry = int(value)


@dataclass
class Session:
    http: httpx2.Client
    url: str
    token: str
    id: str = ""
    seen: list[Event] = field(default_factory=list)
    protocol: str = PROTOCOL  # the version asked for at initialize and named by every request

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "MCP-Protocol-Version": self.protocol,
            **extra,
        }
        if self.id:
            headers["Mcp-Session-Id"] = self.id
        return headers

    def open(self) -> Session:
        body = {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": self.protocol,
                "capabilities": {},
                "clientInfo": {"name": "test_http_resume", "version": "1"},
            },
        }
        with self.http.stream("POST", self.url, headers=self.headers(), json=body) as response:
            assert response.status_code == 200, response.read()
            self.id = response.headers["mcp-session-id"]
            list(events(response))
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        assert self.http.post(self.url, headers=self.headers(), json=initialized).status_code == 202
        return self

    def call(
        self,
        request_id: int,
        tool: str,
        arguments: dict[str, Any],
        *,
        read: int | None = None,
        progress_token: str | None = None,
        named: str | None = None,
    ) -> None:
        """POST a tools/call and read its stream: `read` events, then drop the connection (None: all).
        `named`: the protocol version its header names, when not the session's."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call"}
        body["params"] = {"name": tool, "arguments": arguments}
        if progress_token is not None:
            body["params"]["_meta"] = {"progressToken": progress_token}
        headers = self.headers(**({"MCP-Protocol-Version": named} if named else {}))
        with self.http.stream("POST", self.url, headers=headers, json=body) as response:
            assert response.status_code == 200
            for event in events(response):
                self.seen.append(event)
                if read is not None and len(self.seen) >= read:
                    break

    def resume(self, last_event_id: str, *, until: int | None = None) -> tuple[int, list[Event]]:
        """GET with Last-Event-ID: (status, events) up to the answer to request `until`, or to the end."""
        got: list[Event] = []
        headers = {**self.headers(**{"Last-Event-ID": last_event_id}), "Accept": "text/event-stream"}
        with self.http.stream("GET", self.url, headers=headers) as response:
            if response.status_code != 200:
                return response.status_code, got
            for event in events(response):
                got.append(event)
                message = event.message()
                if until is not None and message is not None and message.get("id") == until:
                    break
        return 200, got


@dataclass(frozen=True)
class Served:
    url: str
    token: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = free_port()
    home = tmp_path_factory.mktemp("resume")
    with spawn([*HTTP, "--port", str(port)], child_env(home)) as server:
        server.wait_until_listening(port)
        yield Served(f"http://127.0.0.1:{port}/mcp", (home / "http-token").read_text().strip())


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=30) as client:
        yield client


def test_a_call_whose_stream_dropped_is_resumed_with_last_event_id(
    served: Served, http: httpx2.Client
) -> None:
    session = Session(http, served.url, served.token).open()
    session.call(7, "search-emails", {"query": "in:inbox", "max_results": 2}, read=1)
    [priming] = session.seen
    assert priming.id and priming.data == "" and priming.retry == 1000

    status, replayed = session.resume(priming.id, until=7)

    answer = replayed[-1].message()
    assert status == 200
    assert answer is not None and answer["id"] == 7
    assert len(answer["result"]["structuredContent"]["emails"]) == 2
    assert all(event.id for event in replayed)


def test_a_finished_call_is_replayed_from_any_of_its_events_and_the_stream_then_ends(
    served: Served, http: httpx2.Client
) -> None:
    session = Session(http, served.url, served.token).open()
    session.call(3, "get-unread-emails", {"max_results": 1})
    priming, answer = session.seen
    assert priming.id and answer.id and int(answer.id) > int(priming.id)

    assert session.resume(priming.id) == (200, [answer])
    assert session.resume(answer.id) == (200, [])


def test_progress_comes_on_the_calls_stream_before_its_answer_and_is_replayed_too(
    served: Served, http: httpx2.Client
) -> None:
    session = Session(http, served.url, served.token).open()
    session.call(9, "search-emails", {"query": "after:2000/01/01", "max_results": 50}, progress_token="p9")
    messages = [event.message() for event in session.seen[1:]]
    progress = [m["params"] for m in messages if m and m.get("method") == "notifications/progress"]

    assert messages[-1] and messages[-1]["id"] == 9 and len(progress) >= 3
    assert {p["progressToken"] for p in progress} == {"p9"}
    assert [p["progress"] for p in progress] == sorted({p["progress"] for p in progress})
    assert progress[-1]["progress"] == progress[-1]["total"] == 50
    assert session.resume(session.seen[0].id or "")[1] == session.seen[1:]


def test_a_session_that_agreed_on_2025_11_25_gets_priming_events_even_when_a_request_names_an_older_one(
    served: Served, http: httpx2.Client
) -> None:
    session = Session(http, served.url, served.token).open()
    session.call(4, "list-drafts", {}, named="2025-03-26")  # as the conformance suite's requests do
    priming, answer = session.seen

    assert priming.id and priming.data == "" and priming.retry == 1000
    assert session.resume(priming.id) == (200, [answer])


def test_a_client_that_agreed_on_an_older_protocol_gets_no_priming_event_it_could_not_read(
    served: Served, http: httpx2.Client
) -> None:
    session = Session(http, served.url, served.token, protocol="2025-06-18").open()
    session.call(4, "list-drafts", {})
    [answer] = session.seen

    message = answer.message()
    assert answer.id and message is not None and message["id"] == 4


def test_a_last_event_id_that_is_not_kept_gets_an_empty_stream_not_a_500(
    served: Served, http: httpx2.Client
) -> None:
    session = Session(http, served.url, served.token).open()
    for unknown in ("999999", "not-an-id", "0"):
        assert session.resume(unknown) == (200, [])


def test_a_session_cannot_replay_another_sessions_events(served: Served, http: httpx2.Client) -> None:
    first = Session(http, served.url, served.token).open()
    first.call(5, "read-email", {"email_id": "ffffffffffffffff"})
    other = Session(http, served.url, served.token).open()

    status, replayed = other.resume(first.seen[0].id or "", until=5)

    assert status == 200
    assert not [event for event in replayed if event.data]


def test_resuming_needs_the_bearer_token(served: Served, http: httpx2.Client) -> None:
    session = Session(http, served.url, served.token).open()
    session.call(2, "list-drafts", {}, read=1)
    session.token = "wrong-" + served.token

    assert session.resume(session.seen[0].id or "")[0] == 401


FIXTURE_SERVER = Path(__file__).resolve().parents[1] / "scripts" / "conformance_server.py"


@pytest.fixture(scope="module")
def polling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The conformance run's server: the product plus a tool that closes its own stream mid-call."""
    port = free_port()
    home = tmp_path_factory.mktemp("polling")
    with spawn([sys.executable, str(FIXTURE_SERVER), "--port", str(port)], child_env(home)) as server:
        server.wait_until_listening(port)
        yield Served(f"http://127.0.0.1:{port}/mcp", "unused: --http-no-auth")


def listed_tools(served: Served, http: httpx2.Client) -> list[dict[str, Any]]:
    session = Session(http, served.url, served.token).open()
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    with http.stream("POST", served.url, headers=session.headers(), json=body) as response:
        *_, listing = events(response)
    message = listing.message()
    assert message is not None
    tools: list[dict[str, Any]] = message["result"]["tools"]
    return tools


def test_the_conformance_server_is_the_product_plus_only_its_fixture_tool(
    served: Served, polling: Served, http: httpx2.Client
) -> None:
    product = listed_tools(served, http)
    conformance = listed_tools(polling, http)

    assert [tool for tool in conformance if tool["name"] != "test_reconnection"] == product
    assert len(conformance) == len(product) + 1


def test_a_call_may_close_its_primed_stream_mid_call_and_answers_on_the_resumed_one(
    polling: Served, http: httpx2.Client
) -> None:
    session = Session(http, polling.url, polling.token).open()
    # As the conformance suite does: the session agreed on 2025-11-25, the request names an older one.
    session.call(1, "test_reconnection", {}, named="2025-03-26")
    [priming] = session.seen  # the server ended the stream after its priming event, before any answer
    assert priming.id and priming.data == "" and priming.retry == 1000

    status, resumed = session.resume(priming.id, until=1)

    answer = resumed[-1].message()
    assert status == 200
    assert answer is not None and answer["id"] == 1 and not answer["result"].get("isError")
    assert all(event.id for event in resumed)


def test_a_client_that_cannot_resume_never_has_its_stream_closed_mid_call(
    polling: Served, http: httpx2.Client
) -> None:
    session = Session(http, polling.url, polling.token, protocol="2025-06-18").open()
    session.call(1, "test_reconnection", {})
    [answer] = session.seen  # no priming event, and the answer on the call's own stream

    message = answer.message()
    assert message is not None and message["id"] == 1 and message["result"]["isError"]


def answer(request_id: int) -> Any:
    from mcp.types import JSONRPCResponse

    return JSONRPCResponse(jsonrpc="2.0", id=request_id, result={})


def note(text: str = "") -> Any:
    from mcp.types import JSONRPCNotification

    return JSONRPCNotification(jsonrpc="2.0", method="notifications/progress", params={"message": text})


async def replayed(store: Any, after: str) -> tuple[Any, list[str]]:
    """(the stream to go on with or None, the ids of the events replayed)."""
    sent: list[str] = []

    async def send(event: Any) -> None:
        sent.append(event.event_id)

    return await store.replay_events_after(after, send), sent


@pytest.mark.anyio
async def test_a_session_keeps_only_its_newest_events_by_count_and_by_size() -> None:
    from gmail_mcp.surface.http_events import SessionEvents

    by_count = SessionEvents(max_events=3, max_bytes=10**6)
    ids = [await by_count.store_event("1", note()) for _ in range(5)]
    by_size = SessionEvents(max_events=100, max_bytes=250)
    big = [await by_size.store_event("2", note("x" * 100)) for _ in range(3)]  # about 150 bytes each
    alone = SessionEvents(max_events=100, max_bytes=10)
    only = await alone.store_event("3", note("larger than the whole budget"))

    assert await replayed(by_count, ids[1]) == (None, [])  # forgotten: nothing to replay
    assert await replayed(by_count, ids[2]) == ("1", ids[3:])
    assert await replayed(by_size, big[1]) == (None, [])  # gone to stay under 250 bytes
    assert await replayed(by_size, big[2]) == ("2", [])
    assert await replayed(alone, only) == ("3", [])  # the newest is kept even when over the size


@pytest.mark.anyio
async def test_a_finished_stream_is_replayed_and_then_ended() -> None:
    from gmail_mcp.surface.http_events import SessionEvents

    store = SessionEvents()
    priming = await store.store_event("4", None)
    said = await store.store_event("4", note("half way"))
    done = await store.store_event("4", answer(4))

    assert await replayed(store, priming) == (None, [said, done])
    assert await replayed(store, done) == (None, [])


@pytest.mark.anyio
async def test_a_stream_still_running_is_replayed_and_left_open_for_what_comes_next() -> None:
    from gmail_mcp.surface.http_events import SessionEvents

    store = SessionEvents()
    priming = await store.store_event("4", None)
    progress = await store.store_event("4", note("half way"))
    await store.store_event("5", answer(5))  # another stream's events are not replayed

    assert await replayed(store, priming) == ("4", [progress])

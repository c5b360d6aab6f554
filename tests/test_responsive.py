"""The server stays responsive under load: tool bodies never take the threads the transport needs."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import anyio.to_thread
import pytest
from mcp import Client

from gmail_mcp.gmail.auth import TokenStore
from gmail_mcp.gmail.scopes import READONLY
from gmail_mcp.models import MessagePage
from tests.helpers import make_client, reset_stats
from tests.mcp_harness import Harness
from tests.test_auth_grants import saved, stored_login

pytestmark = pytest.mark.anyio


class StalledMailbox:
    """A backend whose searches all hang until released, as calls waiting for quota do."""

    def __init__(self) -> None:
        self.waiting = 0
        self.release = threading.Event()
        self._changed = threading.Condition()

    def list_messages(self, query: str = "", **options: Any) -> MessagePage:
        with self._changed:
            self.waiting += 1
            self._changed.notify_all()
        self.release.wait(timeout=30)
        return MessagePage(messages=(), next_page_token=None, result_size_estimate=0)

    def close(self) -> None:
        """Nothing to close: it holds no connection."""

    def wait_for(self, count: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.waiting >= count, timeout=30)


async def test_waiting_tool_calls_leave_anyios_default_threads_to_the_transport(harness: Harness) -> None:
    stalled = StalledMailbox()
    harness.backend_factory = lambda: stalled
    default_threads = anyio.to_thread.current_default_thread_limiter()
    async with harness.client() as client:
        done = []

        async def search() -> None:
            done.append(await client.ok("search-emails", {"query": "anything"}))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                for _ in range(60):  # more than anyio's 40 default threads
                    group.start_soon(search)
                await anyio.to_thread.run_sync(stalled.wait_for, 60)
                # All 60 are inside a tool body at once, and none holds a default thread: the stdio
                # transport's reads and writes (which use those) go on (tested over stdio in
                # test_e2e_load.py).
                assert (stalled.waiting, default_threads.borrowed_tokens) == (60, 0)
                assert len((await client.client.list_tools()).tools) == 9
                stalled.release.set()
    assert len(done) == 60


async def test_once_a_client_connects_the_login_is_renewed_before_the_first_call(
    harness: Harness, sandbox: Any, fake_clock: Any
) -> None:
    token = harness.settings().paths.token
    stored_login(sandbox, token, (READONLY,))
    token.write_text(json.dumps({**saved(token), "expiry": "2000-01-01T00:00:00Z"}))  # expired
    expired = saved(token)["token"]
    harness.backend_factory = lambda: make_client(sandbox, fake_clock, credentials=TokenStore(token).load())
    server = harness.server()
    async with Client(server) as client:
        await client.list_tools()  # what clients ask for first: the handshake is over
        assert server.warming is not None
        await anyio.to_thread.run_sync(server.warming.join, 30)
        renewed = saved(token)["token"]
        reset_stats(sandbox)
        result = await client.call_tool("search-emails", {"query": "in:inbox", "max_results": 5})
    assert renewed != expired  # renewed in the background, before any tool call
    assert not result.is_error
    assert saved(token)["token"] == renewed  # the call needed no second renewal
    # A list, a batch and (once per run) the label names, nothing more.
    assert sandbox.stats()["requests"] == 3


async def test_a_failed_warm_up_leaves_the_first_call_to_report_the_login_problem(harness: Harness) -> None:
    # As `serve` does for real Gmail: the backend is made from the saved login, and there is none.
    harness.backend_factory = lambda: TokenStore(harness.settings().paths.token).load()
    server = harness.server()
    async with Client(server) as client:
        await client.list_tools()
        assert server.warming is not None
        await anyio.to_thread.run_sync(server.warming.join, 30)
        result = await client.call_tool("search-emails", {"query": "in:inbox"})
    assert result.is_error
    assert json.loads(result.content[0].text)["error_code"] == "AUTH_ERROR"  # type: ignore[union-attr]

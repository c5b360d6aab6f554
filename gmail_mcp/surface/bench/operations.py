"""The operations the benchmark measures, and how one is run through the official MCP client.

Each operation is a tool with arguments (some need an id found in the mailbox first), the number of
items it must return, and the mailbox it runs against: the sandbox's seeded mailbox, or the 500
inbox messages of `mailgen` for paging. A run of an operation is timed from the first `tools/call`
sent to the last answer received; its cost is the difference between the sandbox's stats before
and after, once they have stopped moving (work the server does after answering counts too).
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, TextIO
from urllib.parse import quote

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult

from gmail_mcp.surface.bench.measure import Cost, ResultSize, result_size
from gmail_mcp.surface.bench.processes import BenchError, SandboxProcess
from gmail_mcp.surface.names import Tool

PAGING_MESSAGES = 500
PAGE = 50
# What the seeded mailbox must hold for the operations that read one thing (found by search).
LONG_HTML_QUERY = 'subject:"Up to 40% off trail gear"'
THREAD_QUERY = 'subject:"Sync service migration: cutover plan"'
THREAD_MESSAGES = 10

Mailbox = Literal["seeded", "paging"]


@dataclass(frozen=True)
class Targets:
    """Ids in the seeded mailbox that operations read."""

    long_html_id: str
    thread_id: str


@dataclass(frozen=True)
class Operation:
    """One measured operation: `calls` tool calls in a row (a page each, following
    `next_page_token`), which together must return `items` items."""

    key: str
    tool: Tool
    arguments: Callable[[Targets], dict[str, Any]]
    count: Callable[[Mapping[str, Any]], int]
    items: int | None  # None: any positive number (what the seeded mailbox happens to hold)
    mailbox: Mailbox = "seeded"
    calls: int = 1
    # Undoes what a call changed, after it was counted, so every operation sees the same mailbox.
    undo: Callable[[SandboxProcess, Mapping[str, Any]], None] | None = None


def _emails(result: Mapping[str, Any]) -> int:
    return len(result.get("emails", []))


def _one(field: str) -> Callable[[Mapping[str, Any]], int]:
    return lambda result: 1 if result.get(field) else 0


def operations() -> list[Operation]:
    """The operations, in the order they are run and reported."""
    return [
        Operation(
            f"{Tool.SEARCH_EMAILS} 20",
            Tool.SEARCH_EMAILS,
            lambda t: {"query": "in:anywhere", "max_results": 20},
            _emails,
            20,
        ),
        Operation(
            f"{Tool.LIST_EMAILS} 50",
            Tool.LIST_EMAILS,
            lambda t: {"query": "in:anywhere", "page_size": PAGE},
            _emails,
            PAGE,
        ),
        Operation(
            f"{Tool.LIST_EMAILS} {PAGING_MESSAGES} ({PAGING_MESSAGES // PAGE} pages)",
            Tool.LIST_EMAILS,
            lambda t: {"query": "in:inbox", "page_size": PAGE},
            _emails,
            PAGING_MESSAGES,
            mailbox="paging",
            calls=PAGING_MESSAGES // PAGE,
        ),
        Operation(
            f"{Tool.READ_EMAIL} long HTML",
            Tool.READ_EMAIL,
            lambda t: {"email_id": t.long_html_id},
            _one("content"),
            1,
        ),
        Operation(
            f"{Tool.READ_THREAD} {THREAD_MESSAGES} messages",
            Tool.READ_THREAD,
            lambda t: {"thread_id": t.thread_id},
            lambda result: len(result.get("messages", [])),
            THREAD_MESSAGES,
        ),
        Operation(
            f"{Tool.LIST_LABELS}", Tool.LIST_LABELS, lambda t: {}, lambda r: len(r.get("labels", [])), None
        ),
        Operation(f"{Tool.GET_UNREAD_EMAILS} 20", Tool.GET_UNREAD_EMAILS, lambda t: {}, _emails, None),
        Operation(
            f"{Tool.CREATE_DRAFT}",
            Tool.CREATE_DRAFT,
            lambda t: {
                "recipient": "sam@example.com",
                "subject": "Lunch on Friday?",
                "message": "Hi Sam,\n\nFriday at 12:30 at the usual place?\n\nAlex",
            },
            _one("draft_id"),
            1,
            undo=lambda sandbox, result: sandbox.request(
                "DELETE", f"/gmail/v1/users/me/drafts/{quote(str(result['draft_id']), safe='')}"
            ),
        ),
    ]


def find_targets(sandbox: SandboxProcess) -> Targets:
    """The ids the operations read, found through the sandbox's Gmail API.

    Raises:
        BenchError: the seeded mailbox no longer holds what the operations need.
    """
    found = sandbox.gmail("messages", q=LONG_HTML_QUERY, maxResults=1).get("messages") or []
    thread = sandbox.gmail("messages", q=THREAD_QUERY, maxResults=1).get("messages") or []
    if not found or not thread:
        raise BenchError(
            f"the seeded mailbox has no message for {LONG_HTML_QUERY!r} or {THREAD_QUERY!r}: "
            "update the queries in gmail_mcp/surface/bench/operations.py with the seed mail"
        )
    thread_id = thread[0]["threadId"]
    size = len(sandbox.gmail(f"threads/{quote(thread_id, safe='')}", format="minimal").get("messages", []))
    if size != THREAD_MESSAGES:
        raise BenchError(f"the thread for {THREAD_QUERY!r} has {size} messages, not {THREAD_MESSAGES}")
    return Targets(long_html_id=found[0]["id"], thread_id=thread_id)


@dataclass(frozen=True)
class Sample:
    """One run of an operation."""

    seconds: float
    cost: Cost
    size: ResultSize
    items: int


def server_argv(options: Sequence[str]) -> list[str]:
    """`gmail-mcp serve OPTIONS`, as this Python runs it."""
    return [sys.executable, "-m", "gmail_mcp.cli", "serve", *options]


@asynccontextmanager
async def mcp_session(
    options: Sequence[str], env: Mapping[str, str], errlog: TextIO
) -> AsyncIterator[Client]:
    """`gmail-mcp serve OPTIONS` over stdio through the official MCP client, initialized (the
    handshake MCP clients use today), with the client's response cache off: what is measured is
    the server."""
    argv = server_argv(options)
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=dict(env))
    async with Client(stdio_client(params, errlog=errlog), mode="legacy", cache=None) as client:
        yield client


async def run_operation(
    client: Client,
    sandbox: SandboxProcess,
    operation: Operation,
    targets: Targets,
    before: Mapping[str, Any] | None = None,
) -> Sample:
    """Run `operation` once and measure it. `before` is the sandbox's stats from when counting
    starts (default: now, once the stats have stopped moving).

    Raises:
        BenchError: a call failed, or the items returned are not what the operation must return.
    """
    if before is None:
        before = await sandbox.settled_stats()
    arguments = operation.arguments(targets)
    results: list[CallToolResult] = []
    start = time.perf_counter()
    page_token = None
    for _ in range(operation.calls):
        result = await client.call_tool(
            operation.tool, {**arguments, "page_token": page_token} if page_token else arguments
        )
        results.append(result)
        if result.is_error:
            break
        page_token = (result.structured_content or {}).get("next_page_token")
        if not page_token:
            break
    seconds = time.perf_counter() - start
    after = await sandbox.settled_stats()
    for result in results:
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            raise BenchError(f"{operation.key} failed: {text[:500]}")
    items = sum(operation.count(result.structured_content or {}) for result in results)
    if (operation.items is not None and items != operation.items) or items <= 0:
        raise BenchError(
            f"{operation.key} returned {items} items in {len(results)} calls; "
            f"it must return {operation.items or 'some'}"
        )
    size = ResultSize()
    for result in results:
        size += result_size(result.content, result.structured_content)
        if operation.undo is not None:
            operation.undo(sandbox, result.structured_content or {})
    return Sample(seconds=seconds, cost=Cost.between(before, after), size=size, items=items)

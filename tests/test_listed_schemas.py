"""Tools listed from `surface/schemas.json` and built when first called (surface/schemas.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from gmail_mcp.surface import schemas
from gmail_mcp.surface.registry import all_specs
from gmail_mcp.surface.toolkit import ListedSchemas
from tests.helpers import reset_stats
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio


def test_the_kept_schemas_are_what_the_tools_would_list() -> None:
    assert schemas.FILE.read_text("utf-8") == schemas.render(schemas.generated(all_specs())), (
        f"gmail_mcp/surface/schemas.json no longer matches the tools: run `{schemas.COMMAND}`"
    )


async def listing(server: Any) -> list[dict[str, Any]]:
    try:
        async with Client(server, raise_exceptions=True) as client:
            tools = (await client.list_tools()).tools
        return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]
    finally:
        if server.warming is not None:
            server.warming.join(timeout=30)
        server.app.account.close()


@pytest.mark.parametrize(
    ("options", "more_accounts"),
    [
        ({}, {}),
        ({"enhanced": True}, {}),
        ({"enhanced": True, "read_only": True}, {}),
        ({"enhanced": True}, {"work": "bob@example.com"}),
    ],
    ids=["core", "enhanced", "read-only", "two-accounts"],
)
async def test_a_listing_from_the_file_is_the_listing_of_the_built_tools(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], more_accounts: dict[str, str]
) -> None:
    harness.more_accounts = more_accounts
    from_file = await listing(harness.server(**options))
    monkeypatch.setattr(schemas, "kept", dict)  # no file: every tool built at start
    built = await listing(harness.server(**options))
    assert from_file == built
    assert len(built) >= 9


async def test_tools_are_listed_unbuilt_and_each_is_built_when_first_called(harness: Harness) -> None:
    server = harness.server(enhanced=True)
    try:
        async with Client(server, raise_exceptions=True) as client:
            listed = (await client.list_tools()).tools
            assert len(listed) == 28
            assert [t.name for t in listed if server.get_tool(t.name)] == []
            result = await client.call_tool("list-labels", {})
            assert not result.is_error
            assert [t.name for t in listed if server.get_tool(t.name)] == ["list-labels"]
            # Built without the output model the SDK would check each result against: every
            # result is that model dumped, and the listing's schema comes from the file.
            assert server.get_tool("list-labels").output_schema is None
            assert (await client.list_tools()).tools == listed
            assert all(t.output_schema for t in listed)
    finally:
        server.warming.join(timeout=30)
        server.app.account.close()


async def test_a_tool_called_before_the_first_listing_is_listed_as_the_file_says(harness: Harness) -> None:
    expected = await listing(harness.server(enhanced=True))
    server = harness.server(enhanced=True)
    try:
        async with Client(server, raise_exceptions=True) as client:
            assert not (await client.call_tool("list-labels", {})).is_error
            assert server.get_tool("list-labels") is not None
            tools = (await client.list_tools()).tools
    finally:
        server.warming.join(timeout=30)
        server.app.account.close()
    assert [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools] == expected


async def test_a_tool_the_file_lacks_is_built_at_start(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = schemas.kept()
    monkeypatch.setattr(schemas, "kept", lambda: {k: v for k, v in kept.items() if k != "search-emails"})
    server = harness.server()
    try:
        assert [name for name in server.hints if server.get_tool(name)] == ["search-emails"]
    finally:
        server.app.account.close()


async def test_an_argument_only_a_stale_file_names_is_refused_and_nothing_happens(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = dict(schemas.kept())
    trash = kept["trash-email"]
    properties = {**trash.input["properties"], "permanently": {"type": "boolean"}}
    kept["trash-email"] = ListedSchemas({**trash.input, "properties": properties}, trash.output)
    monkeypatch.setattr(schemas, "kept", lambda: kept)
    async with harness.client() as client:
        email_id = (await client.ok("search-emails", {"query": "in:inbox", "max_results": 1}))["emails"][0][
            "id"
        ]
        reset_stats(harness.sandbox)
        error = await client.error("trash-email", {"email_id": email_id, "permanently": True})
    assert error["error_code"] == "INVALID_PARAMS"
    assert error["error_details"]["unknown"] == ["permanently"]
    assert harness.sandbox.stats()["requests"] == 0


# What only some tools need: nothing of it is loaded to start a server and list its tools.
UNTIL_CALLED = (
    "gmail_mcp.actions.sending",
    "gmail_mcp.actions.outgoing",
    "gmail_mcp.surface.confirm",
    "gmail_mcp.actions.changes",
    "gmail_mcp.actions.bulk",
    "gmail_mcp.actions.filters",
    "gmail_mcp.actions.labels",
)
LIST_IN_A_NEW_INTERPRETER = f"""
import json, sys, anyio
from gmail_mcp import cli
servers = []
cli._serve = lambda args, settings, server: servers.append(server) or 0
cli.main(["serve", "--enhanced", "--sandbox"])
tools = anyio.run(servers[0].list_tools)
print(json.dumps([len(tools), sorted(m for m in {UNTIL_CALLED!r} if m in sys.modules)]))
"""


def test_starting_and_listing_loads_no_code_of_the_tools_that_send_or_change_labels(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", LIST_IN_A_NEW_INTERPRETER],
        capture_output=True,
        text=True,
        timeout=110,
        env={**os.environ, "GMAIL_MCP_HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout) == [28, []]

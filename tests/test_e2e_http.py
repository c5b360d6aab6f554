"""End to end over streamable HTTP: `gmail-mcp serve --transport http` as a real process.

On loopback the Host and Origin headers are checked (DNS rebinding); beyond loopback the server
refuses to start without GMAIL_MCP_HTTP_TOKEN and then serves only requests bearing it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.mcp_harness import StrictClient
from tests.test_e2e import CORE_TOOLS, INITIALIZE, SERVE, child_env, free_port, http_request, spawn


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def post_initialize(port: int, headers: dict[str, str]) -> tuple[int, str]:
    """A raw MCP initialize POST to /mcp with these extra headers: (status, body)."""
    status, body = http_request(
        f"http://127.0.0.1:{port}/mcp",
        "POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **headers,
        },
        body=json.dumps(INITIALIZE).encode(),
    )
    return status, body.decode()


@pytest.fixture(scope="module")
def http_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A `serve --transport http` on a loopback port, shared by the tests that only talk to it."""
    port = free_port()
    home = tmp_path_factory.mktemp("http")
    argv = [*SERVE, "--sandbox", "--transport", "http", "--port", str(port)]
    with spawn(argv, child_env(home)) as server:
        server.wait_until_listening(port)
        yield port


@pytest.mark.anyio
async def test_http_client_lists_the_tools_and_calls_one(http_port: int) -> None:
    with anyio.fail_after(60):
        async with Client(f"http://127.0.0.1:{http_port}/mcp") as client:
            strict = StrictClient(client)
            await strict.load_schemas()
            found = await strict.ok("search-emails", {"query": "in:inbox", "max_results": 2})
    assert set(strict.schemas) == CORE_TOOLS
    assert len(found["emails"]) == 2


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example"}, 421),
        ({"Host": "evil.example:{port}"}, 421),
        ({"Host": "127.0.0.1:{port}", "Origin": "http://evil.example"}, 403),
        ({"Host": "127.0.0.1:{port}"}, 200),
        ({"Host": "localhost:{port}", "Origin": "http://localhost:{port}"}, 200),
    ],
    ids=["foreign-host", "foreign-host-same-port", "foreign-origin", "loopback-host", "loopback-origin"],
)
def test_loopback_http_server_refuses_foreign_hosts_and_origins(
    http_port: int, headers: dict[str, str], status: int
) -> None:
    sent = {name: value.format(port=http_port) for name, value in headers.items()}
    answer = post_initialize(http_port, sent)
    assert answer[0] == status, answer
    if status == 200:
        assert '"serverInfo"' in answer[1]


def test_serving_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    argv = [*SERVE, "--sandbox", "--transport", "http", "--host", "0.0.0.0", "--port", str(free_port())]
    done = subprocess.run(argv, env=child_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "GMAIL_MCP_HTTP_TOKEN" in done.stderr and "0.0.0.0" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.anyio
async def test_token_guarded_http_server_serves_only_bearers_of_the_token(tmp_path: Path) -> None:
    token = "e2e-" + os.urandom(16).hex()
    port = free_port()
    argv = [*SERVE, "--sandbox", "--transport", "http", "--host", "0.0.0.0", "--port", str(port)]
    with spawn(argv, child_env(tmp_path, GMAIL_MCP_HTTP_TOKEN=token)) as server:
        server.wait_until_listening(port)
        without = post_initialize(port, {})
        wrong = post_initialize(port, {"Authorization": "Bearer not-" + token})
        with anyio.fail_after(60):
            async with (
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
                Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client,
            ):
                strict = StrictClient(client)
                await strict.load_schemas()
                unread = await strict.ok("get-unread-emails", {"max_results": 1})
    assert (without[0], wrong[0]) == (401, 401)
    assert set(strict.schemas) == CORE_TOOLS
    assert len(unread["emails"]) == 1


def test_a_busy_port_is_reported_without_first_claiming_to_serve(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        argv = [*SERVE, "--sandbox", "--transport", "http", "--port", str(port)]
        done = subprocess.run(argv, env=child_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "serving MCP" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"gmail-mcp: Cannot serve MCP on 127.0.0.1:{port}: ")


def _ipv6_loopback() -> bool:
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_an_ipv6_address_is_served_and_named_in_brackets(tmp_path: Path) -> None:
    port = free_port()
    argv = [*SERVE, "--sandbox", "--transport", "http", "--host", "::1", "--port", str(port)]
    with spawn(argv, child_env(tmp_path)) as server:
        url = server.wait_for_stderr(r"serving MCP at (\S+)")[1]
        status, _ = http_request(
            f"http://[::1]:{port}/mcp",
            "POST",
            headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
            body=json.dumps(INITIALIZE).encode(),
        )
    assert url == f"http://[::1]:{port}/mcp"
    assert status == 200

"""End to end over streamable HTTP: `gmail-mcp serve --transport http` as a real process.

Every request needs the bearer token, on loopback too (other local accounts and rebound web pages
reach loopback): GMAIL_MCP_HTTP_TOKEN, or one generated into the config folder whose path (never
the token) is printed. On loopback the Host and Origin headers are checked as well (DNS
rebinding); `--http-no-auth` is a loopback-only opt-out.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.mcp_harness import StrictClient
from tests.test_e2e import CORE_TOOLS, INITIALIZE, SERVE, child_env, free_port, http_request, spawn

HTTP = [*SERVE, "--sandbox", "--transport", "http"]


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


@dataclass(frozen=True)
class Served:
    port: int
    token: str
    token_file: Path
    stderr: str
    audit_log: Path

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A `serve --transport http` on a loopback port with a generated token, shared by the tests
    that only talk to it."""
    port = free_port()
    home = tmp_path_factory.mktemp("http")
    with spawn([*HTTP, "--port", str(port)], child_env(home)) as server:
        server.wait_until_listening(port)
        token_file = home / "http-token"
        yield Served(
            port, token_file.read_text().strip(), token_file, server.stderr(), home / "state" / "audit.jsonl"
        )


async def call_tools(port: int, token: str | None) -> tuple[set[str], dict[str, object]]:
    """tools/list and one search through the MCP SDK's HTTP client, sending `token` if given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with anyio.fail_after(60):
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client,
        ):
            strict = StrictClient(client)
            await strict.load_schemas()
            found = await strict.ok("search-emails", {"query": "in:inbox", "max_results": 2})
    return set(strict.schemas), found


@pytest.mark.anyio
async def test_http_client_with_the_generated_token_lists_the_tools_and_calls_one(served: Served) -> None:
    tools, found = await call_tools(served.port, served.token)
    assert tools == CORE_TOOLS
    assert len(found["emails"]) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer {wrong}", 401),
        ("Basic {token}", 401),
        ("Bearer", 401),
        ("{token}", 401),
        ("Bearer {token}", 200),
        ("bearer {token}", 200),
        ("BEARER  {token} ", 200),
    ],
    ids=["none", "wrong", "other-scheme", "no-token", "no-scheme", "right", "lowercase", "uppercase-spaced"],
)
def test_loopback_http_answers_only_requests_bearing_the_token(
    served: Served, authorization: str | None, status: int
) -> None:
    headers = {"Host": f"127.0.0.1:{served.port}"}
    if authorization is not None:
        wrong = served.token[:-1] + ("x" if served.token[-1] != "x" else "y")
        headers["Authorization"] = authorization.format(token=served.token, wrong=wrong)
    answer = post_initialize(served.port, headers)
    assert answer[0] == status, answer
    assert ('"serverInfo"' in answer[1]) == (status == 200)


def http_refusals(audit_log: Path) -> list[dict[str, object]]:
    lines = audit_log.read_text().splitlines() if audit_log.exists() else []
    return [r for r in map(json.loads, lines) if r["tool"] == "http" and r["outcome"] == "refused"]


def test_every_request_refused_for_its_token_is_audited(served: Served) -> None:
    before = len(http_refusals(served.audit_log))
    statuses = [
        post_initialize(served.port, {})[0],
        post_initialize(served.port, {"Authorization": "Bearer guess"})[0],
        post_initialize(served.port, served.bearer())[0],
    ]
    after = http_refusals(served.audit_log)
    assert statuses == [401, 401, 200]
    assert len(after) == before + 2
    assert after[-1]["client"] == "127.0.0.1" and after[-1]["path"] == "/mcp"
    assert served.token not in served.audit_log.read_text()


def test_a_flood_of_refused_requests_is_audited_a_minute_at_a_time(tmp_path: Path) -> None:
    from gmail_mcp.actions.audit import AuditLog
    from gmail_mcp.surface.http import RefusalAudit
    from tests.conftest import FakeClock

    clock = FakeClock()
    log = tmp_path / "audit.jsonl"
    refused = RefusalAudit(AuditLog(log, clock=clock), per_minute=60, clock=clock)
    scope = {"type": "http", "client": ("127.0.0.1", 5000), "path": "/mcp"}
    for _ in range(100):
        refused(scope, "missing or wrong bearer token")
    clock.advance(60)
    refused(scope, "missing or wrong bearer token")
    records = http_refusals(log)
    assert len(records) == 61
    assert [r.get("suppressed_before") for r in records[59:]] == [None, 40]


def test_the_generated_token_is_private_and_only_its_file_is_printed(served: Served) -> None:
    assert stat.S_IMODE(served.token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(served.token_file.parent.stat().st_mode) & 0o077 == 0
    assert len(served.token) >= 32
    assert str(served.token_file) in served.stderr and "Authorization: Bearer" in served.stderr
    assert served.token not in served.stderr


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
    served: Served, headers: dict[str, str], status: int
) -> None:
    sent = {name: value.format(port=served.port) for name, value in headers.items()}
    answer = post_initialize(served.port, {**sent, **served.bearer()})
    assert answer[0] == status, answer
    if status == 200:
        assert '"serverInfo"' in answer[1]


def refused_start(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [*HTTP, "--port", str(free_port()), *args]
    done = subprocess.run(argv, env=child_env(home, **env), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    return done


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--host", "0.0.0.0", "--http-no-auth"], {}, "127.0.0.1 only"),
        (["--host", "192.0.2.1", "--http-no-auth"], {}, "127.0.0.1 only"),
        (["--http-no-auth"], {"GMAIL_MCP_HTTP_TOKEN": "t" * 40}, "contradict"),
        ([], {"GMAIL_MCP_HTTP_TOKEN": "x"}, "at least 32"),
        ([], {"GMAIL_MCP_HTTP_TOKEN": "a" * 31}, "at least 32"),
        ([], {"GMAIL_MCP_HTTP_TOKEN": "a b" * 20}, "at least 32"),
    ],
    ids=["no-auth-on-any", "no-auth-on-an-address", "no-auth-with-token", "1-char", "31-chars", "spaces"],
)
def test_serving_http_unsafely_is_refused_at_start(
    tmp_path: Path, args: list[str], env: dict[str, str], says: str
) -> None:
    done = refused_start(tmp_path, *args, **env)
    assert says in done.stderr
    assert not (tmp_path / "http-token").exists()


@pytest.mark.anyio
async def test_http_no_auth_serves_loopback_without_a_token_and_warns(tmp_path: Path) -> None:
    port = free_port()
    with spawn([*HTTP, "--port", str(port), "--http-no-auth"], child_env(tmp_path)) as server:
        server.wait_until_listening(port)
        tools, _ = await call_tools(port, None)
        foreign = post_initialize(port, {"Host": "evil.example"})
        warning = server.stderr()
    assert tools == CORE_TOOLS
    assert foreign[0] == 421  # the DNS-rebinding checks stay
    assert "WARNING" in warning and "--http-no-auth" in warning
    assert not (tmp_path / "http-token").exists()


@pytest.mark.anyio
async def test_a_configured_token_guards_a_server_beyond_loopback(tmp_path: Path) -> None:
    token = "e2e-" + os.urandom(16).hex()
    port = free_port()
    argv = [*HTTP, "--host", "0.0.0.0", "--port", str(port)]
    with spawn(argv, child_env(tmp_path, GMAIL_MCP_HTTP_TOKEN=token)) as server:
        server.wait_until_listening(port)
        without = post_initialize(port, {})
        wrong = post_initialize(port, {"Authorization": "Bearer not-" + token})
        tools, found = await call_tools(port, token)
        said = server.stderr()
    assert (without[0], wrong[0]) == (401, 401)
    assert tools == CORE_TOOLS and found["emails"]
    assert "GMAIL_MCP_HTTP_TOKEN" in said and token not in said
    assert not (tmp_path / "http-token").exists()


def test_a_token_file_open_to_others_is_made_private_and_reused(tmp_path: Path) -> None:
    from gmail_mcp.surface import http_token

    token_file = tmp_path / "http-token"
    first = http_token.load_or_create(token_file)
    token_file.chmod(0o644)
    again = http_token.load_or_create(token_file)
    assert again == first and len(first) >= 32
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


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
    argv = [
        *SERVE,
        "--sandbox",
        "--transport",
        "http",
        "--host",
        "::1",
        "--port",
        str(port),
        "--http-no-auth",
    ]
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

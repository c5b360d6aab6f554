"""End to end through real processes: `gmail-mcp serve` over stdio, the sandbox as its own process,
`--load`, `gmail-mcp demo`, and the package as `uvx` runs it from the checkout. Streamable HTTP is
in test_e2e_http.py, on the process machinery defined here.

Every wait has a deadline and no test sleeps: output is read on threads and waited on with a
timeout, ports are polled while waiting on the process (which also notices a crash at once).
Every child process is killed in a `finally`, or by the MCP SDK's stdio client when it exits.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from gmail_mcp.sandbox.store import DEFAULT_OWNER
from tests.helpers import CORPUS
from tests.mcp_harness import StrictClient
from tests.test_server import CORE_TOOLS, ENHANCED_TOOLS

CHECKOUT = Path(__file__).resolve().parents[1]
SERVE = [sys.executable, "-m", "gmail_mcp.cli", "serve"]
MISSING_ID = "ffffffffffffffff"
START_SECONDS = 30  # a cold Python start of the server on a busy 2-core machine
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test_e2e", "version": "1"},
    },
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment without any GMAIL_MCP_* setting of the person running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMAIL_MCP_")}
    return {**env, "GMAIL_MCP_HOME": str(home), **extra}


# -- child processes ---------------------------------------------------------------------------


class Child:
    """A subprocess whose stdout and stderr lines are read on threads, so every wait is bounded."""

    def __init__(self, argv: list[str], env: dict[str, str], *, stdin: bool | int = False) -> None:
        """`stdin`: True for a pipe to `send` on, a file descriptor (a terminal), or False for none."""
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin is True else stdin if stdin is not False else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
        )
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._stdout: queue.Queue[str | None] = queue.Queue()
        self._stderr: queue.Queue[str | None] = queue.Queue()
        self._readers = [
            threading.Thread(target=_pump, args=(self.process.stdout, self._stdout), daemon=True),
            threading.Thread(target=_pump, args=(self.process.stderr, self._stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self, timeout: float = START_SECONDS) -> dict[str, Any]:
        """The next stdout line, parsed as JSON."""
        line = self._next(self._stdout, self.stdout_lines, timeout)
        message: dict[str, Any] = json.loads(line)
        return message

    def wait_for_stderr(self, pattern: str, timeout: float = START_SECONDS) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            line = self._next(self._stderr, self.stderr_lines, deadline - time.monotonic())
            if match := re.search(pattern, line):
                return match

    def wait_until_listening(self, port: int, timeout: float = START_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listens on port {port}; stderr: {self.stderr()}")
            try:
                # Between attempts, wait on the process itself: a crash ends the wait at once.
                code = self.process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"the server exited ({code}) before listening; stderr: {self.stderr()}")

    def finish(self, timeout: float = START_SECONDS) -> int:
        """Close stdin, wait for the exit and for all output. Returns the exit status."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=timeout)
        self._drain(self._stdout, self.stdout_lines)
        self._drain(self._stderr, self.stderr_lines)
        return code

    def kill(self) -> None:
        """Stop it as a service manager would: SIGTERM (our commands stop at once and exit cleanly,
        writing what they must, coverage data included), SIGKILL if it has not after a few seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # nothing is left to read what we sent
                self.process.stdin.close()
        for reader in self._readers:  # each closes its pipe at the end of the output
            reader.join(timeout=10)

    def stderr(self) -> str:
        self._drain(self._stderr, self.stderr_lines)
        return "".join(self.stderr_lines)

    def _next(self, lines: queue.Queue[str | None], seen: list[str], timeout: float) -> str:
        try:
            line = lines.get(timeout=max(timeout, 0))
        except queue.Empty:
            raise AssertionError(f"no output within the deadline; stderr: {self.stderr()}") from None
        if line is None:
            lines.put(None)
            raise AssertionError(f"the output ended (exit {self.process.poll()}); stderr: {self.stderr()}")
        seen.append(line)
        return line

    @staticmethod
    def _drain(lines: queue.Queue[str | None], seen: list[str]) -> None:
        while True:
            try:
                line = lines.get_nowait()
            except queue.Empty:
                return
            if line is None:
                lines.put(None)
                return
            seen.append(line)


def _pump(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    assert stream is not None
    with stream:  # the pipe is closed where it is read to its end, not left to the collector
        for line in stream:
            lines.put(line)
    lines.put(None)


@contextmanager
def spawn(argv: list[str], env: dict[str, str], *, stdin: bool | int = False) -> Iterator[Child]:
    child = Child(argv, env, stdin=stdin)
    try:
        yield child
    finally:
        child.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def stdio_client(*args: str, home: Path, **env: str) -> AsyncIterator[StrictClient]:
    """The MCP SDK's client on `gmail-mcp serve ARGS` started as a subprocess over stdio."""
    params = StdioServerParameters(command=SERVE[0], args=[*SERVE[1:], *args], env=child_env(home, **env))
    async with Client(params) as client:
        strict = StrictClient(client)
        await strict.load_schemas()
        yield strict


def http_request(
    url: str, method: str = "GET", *, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes]:
    """One HTTP request with exactly these headers (a given Host is sent as is): (status, body)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request(method, parts.path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    status, body = http_request(url, headers=headers)
    assert status == 200, (status, body)
    return json.loads(body)


# -- stdio -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_stdio_server_lists_the_core_tools_and_answers_calls(tmp_path: Path) -> None:
    with anyio.fail_after(60):
        async with stdio_client("--sandbox", home=tmp_path) as client:
            tools = {tool.name for tool in (await client.client.list_tools()).tools}
            unread = (await client.ok("get-unread-emails", {"max_results": 3}))["emails"]
            first = await client.ok("read-email", {"email_id": unread[0]["id"]})
            missing = await client.error("read-email", {"email_id": MISSING_ID})
    assert tools == CORE_TOOLS
    assert len(unread) == 3 and all(email["unread"] for email in unread)
    assert (first["subject"], first["from"]) == (unread[0]["subject"], unread[0]["from"])
    assert first["content"]
    assert missing["error_code"] == "NOT_FOUND"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("args", "env"),
    [(["--enhanced"], {}), ([], {"GMAIL_MCP_ENHANCED": "1"})],
    ids=["flag", "environment"],
)
async def test_enhanced_mode_over_stdio_offers_every_enhanced_tool(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    with anyio.fail_after(60):
        async with stdio_client("--sandbox", *args, home=tmp_path, **env) as client:
            tools = {tool.name for tool in (await client.client.list_tools()).tools}
            labels = await client.ok("list-labels")
    assert tools == ENHANCED_TOOLS and tools > CORE_TOOLS
    assert labels["labels"]


def test_serve_writes_nothing_but_json_rpc_to_stdout(tmp_path: Path) -> None:
    calls = [
        ("get-unread-emails", {"max_results": 2}),
        ("read-email", {"email_id": MISSING_ID}),
        ("search-emails", {"query": "has:attachment", "max_results": 2}),
    ]
    with spawn([*SERVE, "--sandbox", "--verbose"], child_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        assert {tool["name"] for tool in server.receive()["result"]["tools"]} == CORE_TOOLS
        for number, (name, arguments) in enumerate(calls, start=3):
            server.send(
                {
                    "jsonrpc": "2.0",
                    "id": number,
                    "method": "tools/call",
                    "params": {"name": name, "arguments": arguments},
                }
            )
            assert server.receive()["id"] == number
        code = server.finish()
    assert code == 0
    assert len(server.stdout_lines) == 2 + len(calls)
    for line in server.stdout_lines:
        assert json.loads(line)["jsonrpc"] == "2.0", line
    # --verbose logs at DEBUG: all of it went to stderr.
    assert server.stderr_lines


# -- the sandbox as its own process, and --load ----------------------------------------------


@pytest.mark.anyio
async def test_separate_sandbox_process_serves_gmail_and_counts_what_tool_calls_cost(tmp_path: Path) -> None:
    # The benchmark's setting: Gmail letting 50 calls of the user run at once.
    argv = [sys.executable, "-m", "gmail_mcp.cli", "sandbox", "--port", "0", "--max-concurrent", "50"]
    with spawn(argv, child_env(tmp_path)) as sandbox:
        # --port 0: the sandbox binds a free port itself and says which, so no other process can race for it.
        url = sandbox.wait_for_stderr(r"serving Gmail API v1 for \S+ at (http://127\.0\.0\.1:\d+)")[1]
        profile = get_json(url + "/gmail/v1/users/me/profile", {"Authorization": "Bearer anything"})
        with anyio.fail_after(60):
            async with stdio_client("--sandbox-url", url, home=tmp_path) as client:
                await client.ok("search-emails", {"query": "in:anywhere", "max_results": 20})  # warms up
                assert http_request(url + "/__sandbox/reset", "POST", body=b"{}")[0] == 200
                found = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 20})
                stats = get_json(url + "/__sandbox/stats")
    assert profile["emailAddress"] == DEFAULT_OWNER
    assert len(found["emails"]) == 20
    # One list call, then one batch with the 20 messages' details; Gmail charges (2026 costs) 5 units
    # for the list and 20 for each message.
    assert stats == {
        "requests": 2,
        "batch_requests": 1,
        "batch_parts": 20,
        "quota_units": 5 + 20 * 20,
        "throttled": 0,
        "by_method": {"gmail.users.messages.list": 1, "gmail.users.messages.get": 20},
        "sent": 0,
        "upload_requests": 0,
        "faults_injected": 0,
        "concurrency_limited": 0,
        "by_user": {DEFAULT_OWNER: {"calls": 21, "quota_units": 5 + 20 * 20}},
        "outbox": [],
    }


@pytest.mark.anyio
@pytest.mark.corpus
async def test_loaded_folder_is_the_whole_mailbox(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    for name in ("mail_test_2.eml", "mail_test_3.eml"):
        shutil.copy(CORPUS / name, folder / name)
    with anyio.fail_after(60):
        async with stdio_client("--sandbox", "--load", str(folder), home=tmp_path / "home") as client:
            found = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 50})
    assert sorted(email["subject"] for email in found["emails"]) == [
        "Bollettino Meteorologico del 29/11/2015",
        "Hi there",
    ]


# -- gmail-mcp demo ----------------------------------------------------------------------------


def test_demo_walks_through_each_step_and_leaves_nothing_behind(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # A person's own environment: no GMAIL_MCP_HOME, platform folders under a HOME we can inspect.
    env = {k: v for k, v in child_env(tmp_path).items() if not k.startswith(("GMAIL_MCP_", "XDG_"))}
    argv = [sys.executable, "-m", "gmail_mcp.cli", "demo"]
    done = subprocess.run(argv, env={**env, "HOME": str(home)}, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    steps = re.findall(r"^\d\. (?:A failure|[\w/-]+)", out, flags=re.MULTILINE)
    assert steps == [
        "1. tools/list",
        "2. get-unread-emails",
        "3. read-email",
        "4. search-emails",
        "5. create-draft",
        "6. A failure",
    ]
    assert f"1. tools/list: {len(ENHANCED_TOOLS)} tools:" in out
    costs = re.findall(r"\(cost: (\d+) HTTP requests?, (\d+) Gmail quota units\)", out)
    assert len(costs) == 4
    # The listing's details come in one batch, plus the label names once, as the demo says.
    assert costs[0][0] == "3"
    shown = re.search(r"^\s+(\{\"status\": \"error\".*)$", out, flags=re.MULTILINE)
    assert shown, out
    error = json.loads(shown[1])
    assert (error["status"], error["error_code"]) == ("error", "NOT_FOUND")
    assert re.search(r"Session total: \d+ HTTP requests and \d+ quota units", out)
    # What step 3 shows of the email is real: every field is in the result, none is empty.
    shown_email = re.search(
        r"^3\. read-email.*?\n\n(    \{.*?\n    \})$", out, flags=re.MULTILINE | re.DOTALL
    )
    assert shown_email, out
    fields = json.loads(shown_email[1])
    assert set(fields) <= {"subject", "from", "date", "content_type", "next_offset"}
    assert None not in fields.values()
    # The last line is the real next step: Google Cloud's part first, then the login.
    last = out.rstrip().splitlines()[-1]
    assert "Google Cloud" in last and "README" in last and last.endswith("then `gmail-mcp auth`.")
    assert done.stderr.count("gmail-mcp:") == 0  # the server's notes stay out of the walk-through
    assert list(home.iterdir()) == []


# -- uvx ---------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("uvx") is None, reason="uvx is not on PATH")
def test_uvx_runs_the_server_from_the_checkout(tmp_path: Path) -> None:
    # --refresh-package: uv would otherwise reuse its cached build of the checkout, however stale.
    argv = [
        "uvx",
        "--refresh-package",
        "gmail-mcp",
        "--from",
        str(CHECKOUT),
        "gmail-mcp",
        "serve",
        "--sandbox",
    ]
    with spawn(argv, child_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        # The first run builds the package and an environment for it: a generous bound.
        assert server.receive(timeout=240)["result"]["serverInfo"]["name"] == "gmail-mcp"
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools = server.receive()["result"]["tools"]
        assert server.finish() == 0
    assert {tool["name"] for tool in tools} == CORE_TOOLS

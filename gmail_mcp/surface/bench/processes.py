"""The benchmark's child processes and wires: `gmail-mcp sandbox` as a subprocess and its control
endpoints, the floor (two sequential round trips over one kept-alive connection), a tripwire for
processes that must not touch the network, the resident memory of a process, and a login that the
sandbox's OAuth stand-in honours.

Every wait is bounded; children are stopped by the object that started them.
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import anyio

CLI = [sys.executable, "-m", "gmail_mcp.cli"]
START_TIMEOUT = 120.0  # a cold start of the sandbox on a busy 2-core machine, with a mailbox to load
BEARER = {"Authorization": "Bearer bench"}  # the sandbox gives full access to a token it did not issue
_URL = re.compile(r"(https?://(?:127\.0\.0\.1|localhost|\[::1\]):\d+)")


class BenchError(RuntimeError):
    """The benchmark could not measure something (a child did not start, an operation failed)."""


def supported_options(*subcommands: str) -> list[frozenset[str]]:
    """The options `gmail-mcp <subcommand> --help` lists, for each subcommand (e.g. whether the
    sandbox takes `--max-concurrent` yet). The commands run side by side.

    Raises:
        BenchError: a help could not be read.
    """
    try:
        children = [
            subprocess.Popen(
                [*CLI, name, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for name in subcommands
        ]
        outputs = [child.communicate(timeout=START_TIMEOUT) for child in children]
    except (OSError, subprocess.SubprocessError) as exc:
        raise BenchError(f"`gmail-mcp {' / '.join(subcommands)} --help` failed: {exc}") from exc
    for name, child, (_, errors) in zip(subcommands, children, outputs, strict=True):
        if child.returncode != 0:
            raise BenchError(f"`gmail-mcp {name} --help` failed: {errors.strip()}")
    return [frozenset(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", stdout)) for stdout, _ in outputs]


class _LineLog:
    """The lines a child writes to one stream, read on a thread (so the pipe never fills), with the
    newest kept for error messages."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=200)
        self._changed = threading.Condition()
        self._closed = False
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        with stream:  # the pump owns the pipe: closed at the child's end, not left to the collector
            for line in stream:
                with self._changed:
                    self._lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str] | None:
        """The first match of `pattern` in any line so far or within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines:
                    if match := pattern.search(line):
                        return match
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._changed.wait(remaining)

    def tail(self) -> str:
        with self._changed:
            return "".join(list(self._lines)[-20:])


class SandboxProcess:
    """`gmail-mcp sandbox` running as a subprocess, and its control endpoints. Started at once;
    `ready()` waits for its URL (so several can start side by side)."""

    def __init__(self, options: Sequence[str], *, load: Path | None = None) -> None:
        self.argv = [*CLI, "sandbox", "--port", "0", *options]
        if load is not None:
            self.argv += ["--load", str(load)]
        self.options = list(options)
        self._process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        assert self._process.stderr is not None
        self._log = _LineLog(self._process.stderr)
        self.url = ""

    def ready(self) -> SandboxProcess:
        """Wait until it prints its URL.

        Raises:
            BenchError: it printed none within START_TIMEOUT seconds.
        """
        match = self._log.wait_for(_URL, START_TIMEOUT)
        if match is None:
            raise BenchError(
                f"`{' '.join(self.argv[2:])}` printed no URL within {START_TIMEOUT:.0f} s "
                f"(exit {self._process.poll()}): {self._log.tail()}"
            )
        self.url = match[1]
        return self

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)

    # -- control endpoints and the Gmail API, for setting up and counting ------------------------

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One JSON request to the sandbox (control endpoints, or Gmail's API with a bearer token).

        Raises:
            BenchError: the sandbox answered with an error or not at all.
        """
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {**BEARER, "Content-Type": "application/json"}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return json.loads(answer.read() or b"null")
        except (OSError, ValueError) as exc:
            raise BenchError(
                f"the sandbox did not answer {method} {path}: {exc}; {self._log.tail()}"
            ) from exc

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.request("GET", "/__sandbox/stats")
        return stats

    def reset(self) -> None:
        self.request("POST", "/__sandbox/reset", {})

    async def settled_stats(self, *, quiet: float = 0.1, timeout: float = 5.0) -> dict[str, Any]:
        """The stats once they stop moving: work a server does after answering (a prefetch, a
        warm-up) is counted where it belongs. Waits at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        previous = self.stats()
        while True:
            await anyio.sleep(quiet)
            current = self.stats()
            if _counters(current) == _counters(previous) or time.monotonic() > deadline:
                return current
            previous = current

    def gmail(self, path: str, **query: str | int) -> Any:
        """A Gmail API GET (users/me/...), for finding what the operations work on."""
        suffix = "?" + urllib.parse.urlencode(query) if query else ""
        return self.request("GET", f"/gmail/v1/users/me/{path}{suffix}")


def _counters(stats: dict[str, Any]) -> tuple[Any, ...]:
    return (stats["requests"], stats["quota_units"], sorted(stats.get("by_method", {}).items()))


def measure_floor(url: str, samples: int) -> list[float]:
    """Seconds for two sequential `messages.list` round trips over one kept-alive connection, once
    per sample: the least any tool that needs two requests could take against this sandbox.

    Raises:
        BenchError: the sandbox did not answer.
    """
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    path = "/gmail/v1/users/me/messages?maxResults=20"

    def round_trip() -> None:
        connection.request("GET", path, headers=BEARER)
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise BenchError(f"the floor's request got HTTP {answer.status}")

    try:
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as httplib2 does
        round_trip()  # the connection is open and warm before the first sample
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            round_trip()
            round_trip()
            times.append(time.perf_counter() - start)
        return times
    except OSError as exc:
        raise BenchError(f"the floor could not be measured against {url}: {exc}") from exc
    finally:
        connection.close()


class Tripwire:
    """A loopback listener that counts every connection made to it and closes it at once.

    A process that must not touch the network is pointed here (its API root, token endpoint and
    proxies): any attempt shows up in `connections` instead of leaving the machine.
    """

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections = 0
        self._counted = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()
            with self._counted:
                self.connections += 1
                self._counted.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Whether `count` connections have been made, waiting at most `timeout` seconds."""
        with self._counted:
            return self._counted.wait_for(lambda: self.connections >= count, timeout)

    def __enter__(self) -> Tripwire:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def env(self) -> dict[str, str]:
        """Environment that sends every HTTP(S) client of a child process to the tripwire."""
        return {
            name: self.url
            for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
        } | {"NO_PROXY": "", "no_proxy": ""}


def rss_bytes(pid: int) -> int | None:
    """The resident memory of a running process, or None where it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text("ascii", errors="replace")
    except OSError:
        status = ""
    if match := re.search(r"^VmRSS:\s+(\d+)\s+kB", status, flags=re.MULTILINE):
        return int(match[1]) * 1024
    try:  # macOS and the BSDs
        done = subprocess.run(
            ["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return int(text) * 1024 if text.isdigit() else None


def sandbox_login(url: str, scopes: Sequence[str]) -> dict[str, Any]:
    """A saved login (token.json) whose refresh token the sandbox issued and whose access token has
    expired: `serve` in real mode then refreshes it at its first call, as after a night's sleep.

    Raises:
        BenchError: the sandbox's OAuth stand-in refused.
    """
    client_id, secret = "bench.apps.googleusercontent.com", "bench-secret"
    redirect = "http://127.0.0.1:9/callback"  # never visited: the code is read from the redirect
    query = urllib.parse.urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": " ".join(scopes),
            "access_type": "offline",
        }
    )
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.request("GET", f"/o/oauth2/auth?{query}")
        answer = connection.getresponse()
        answer.read()
        location = answer.getheader("Location") or ""
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code", [""])[0]
        if answer.status != 302 or not code:
            raise BenchError(f"the sandbox's consent page answered {answer.status} without a code")
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect,
                "client_id": client_id,
                "client_secret": secret,
            }
        )
        connection.request(
            "POST", "/token", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        answer = connection.getresponse()
        grant = json.loads(answer.read() or b"{}")
    except (OSError, ValueError) as exc:
        raise BenchError(f"could not log in to the sandbox at {url}: {exc}") from exc
    finally:
        connection.close()
    if "refresh_token" not in grant:
        raise BenchError(f"the sandbox issued no refresh token: {grant}")
    return {
        "token": "expired-access-token",
        "refresh_token": grant["refresh_token"],
        "token_uri": url + "/token",
        "client_id": client_id,
        "client_secret": secret,
        "scopes": list(scopes),
        "expiry": "2000-01-01T00:00:00Z",
    }


def write_login(home: Path, login: dict[str, Any]) -> None:
    """Save `login` where `serve` looks with GMAIL_MCP_HOME=home, private as `gmail-mcp auth` would."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = home / "token.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(login, file)

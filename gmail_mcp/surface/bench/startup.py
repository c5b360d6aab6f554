"""Process figures: spawn -> `tools/list` answered, and resident memory right after it.

A client starts a server the way MCP clients do (a subprocess speaking newline-delimited JSON-RPC
on stdin/stdout): `initialize`, `notifications/initialized`, `tools/list`. The JSON-RPC is written
here rather than through the SDK's client so that the measurement holds the child's process id (for
its memory) and the exact bytes of the `tools/list` answer. Variants are run in interleaved rounds,
after one unmeasured start of each (compiled bytecode and the file cache are warm for all alike).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream, Process
from mcp.client.stdio import get_default_environment

from gmail_mcp.surface.bench.processes import BenchError, rss_bytes

START_TIMEOUT = 120.0
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "gmail-mcp-bench", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


@dataclass(frozen=True)
class Variant:
    """A way of starting a server: its command line and what it adds to the environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StartSample:
    """One start: seconds from spawn to the `tools/list` answer, the resident memory right after
    it (None where unreadable), the bytes of that answer and the number of tools in it."""

    seconds: float
    rss: int | None
    tools_list_bytes: int
    tools: int


class _Messages:
    """JSON-RPC messages, one a line, from a child's stdout."""

    def __init__(self, stream: ByteReceiveStream) -> None:
        self._stream = stream
        self._buffer = b""

    async def answer(self, request_id: int) -> bytes:
        """The raw line answering `request_id` (notifications and other answers are skipped).

        Raises:
            BenchError: the stream ended first, or the answer is an error.
        """
        while True:
            while b"\n" not in self._buffer:
                try:
                    self._buffer += await self._stream.receive()
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    raise BenchError("the server closed its output before answering") from None
            line, self._buffer = self._buffer.split(b"\n", 1)
            message = json.loads(line)
            if message.get("id") != request_id:
                continue
            if "error" in message:
                raise BenchError(f"the server answered request {request_id} with {message['error']}")
            return line


async def _send(process: Process, message: Mapping[str, Any]) -> None:
    assert process.stdin is not None
    await process.stdin.send(json.dumps(message).encode("utf-8") + b"\n")


async def start_once(variant: Variant, timeout: float = START_TIMEOUT) -> StartSample:
    """Start `variant`, list its tools, measure, and stop it.

    Raises:
        BenchError: it did not answer within `timeout` seconds, or answered with an error.
    """
    env = get_default_environment() | dict(variant.env)
    start = time.perf_counter()
    process = await anyio.open_process(list(variant.argv), env=env, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        messages = _Messages(process.stdout)
        try:
            with anyio.fail_after(timeout):
                await _send(process, INITIALIZE)
                await messages.answer(1)
                await _send(process, INITIALIZED)
                await _send(process, TOOLS_LIST)
                line = await messages.answer(2)
        except TimeoutError:
            raise BenchError(f"{variant.name}: no tools/list answer within {timeout:.0f} s") from None
        seconds = time.perf_counter() - start
        rss = rss_bytes(process.pid)
    finally:
        await _stop(process)
    tools = len(json.loads(line)["result"]["tools"])
    return StartSample(seconds=seconds, rss=rss, tools_list_bytes=len(line), tools=tools)


async def _stop(process: Process) -> None:
    """Close stdin (a stdio server's signal to exit), then kill it if it lingers."""
    with anyio.CancelScope(shield=True):
        if process.stdin is not None:
            await process.stdin.aclose()
        with anyio.move_on_after(5):
            await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.aclose()


async def measure_starts(variants: Sequence[Variant], runs: int) -> dict[str, list[StartSample]]:
    """`runs` starts of each variant, in interleaved rounds whose order rotates, after one
    unmeasured start of each."""
    for variant in variants:
        await start_once(variant)
    samples: dict[str, list[StartSample]] = {variant.name: [] for variant in variants}
    for round_number in range(runs):
        shift = round_number % len(variants)
        for variant in [*variants[shift:], *variants[:shift]]:
            samples[variant.name].append(await start_once(variant))
    return samples

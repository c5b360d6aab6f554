"""MCP over stdio that Ctrl-C and SIGTERM stop at once.

The MCP SDK's `stdio_server()` reads stdin through `anyio.wrap_file`: every line is a blocking
`readline()` in an AnyIO worker thread, and `to_thread.run_sync` shields that wait from
cancellation (it does not abandon the thread) in a thread that is not a daemon. Ctrl-C cancels
the server's tasks, but the transport's task group then waits for the read, which returns only
when a line or EOF arrives: on a terminal, never. So here stdin is read by a daemon thread with
`os.read` and handed over through a memory stream: cancelling the reader takes effect at once, and
the thread, blocked or not, never holds up the exit. SIGINT and SIGTERM are received inside the
event loop and cancel the session, so whatever the caller set up is cleaned up on the way out.

As the SDK does for the stdin it reads itself, fd 0 points at the null device while serving: no
handler and no child process can consume the client's messages.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectSendStream
from mcp.server.stdio import stdio_server

from gmail_mcp.surface.toolkit import GmailMCPServer

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_CHUNK = 64 * 1024


def serve_stdio(server: GmailMCPServer) -> int | None:
    """Serve MCP on stdin and stdout until the client closes stdin or a SIGINT or SIGTERM arrives.

    Returns the number of the signal that stopped the server, or None when stdin ended.
    """
    previous = _handlers()
    try:
        with _claimed_stdin() as fd:
            stopped_by: int | None = anyio.run(_serve, server, fd)
            return stopped_by
    finally:
        # asyncio resets SIGTERM to the default action when it stops listening: restore the caller's.
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


def _handlers() -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {number: signal.getsignal(number) for number in STOP_SIGNALS}


async def _serve(server: GmailMCPServer, fd: int | None) -> int | None:
    stopped_by: int | None = None
    async with anyio.create_task_group() as group:

        async def stop_on_signal() -> None:
            nonlocal stopped_by
            try:
                with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
                    async for number in signals:
                        stopped_by = int(number)
                        group.cancel_scope.cancel()
                        return
            except (NotImplementedError, ValueError):
                # No signal handling in this loop (Windows) or thread: Ctrl-C still arrives as
                # KeyboardInterrupt, and reading no longer blocks the way out.
                return

        group.start_soon(stop_on_signal)
        async with stdio_server(stdin=_StdinLines(fd)) as (read_stream, write_stream):  # type: ignore[arg-type]
            # The SDK has no public accessor for the low-level server yet; its own in-memory
            # transport reads the same attribute.
            lowlevel = server._lowlevel_server
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
        group.cancel_scope.cancel()
    return stopped_by


@contextlib.contextmanager
def _claimed_stdin() -> Iterator[int | None]:
    """A private duplicate of fd 0 to read the protocol from, with fd 0 on the null device meanwhile.

    The duplicate is never closed: the reading thread may still be blocked on it after the server
    has stopped, and a closed descriptor number could be reused under it.
    """
    try:
        private = os.dup(0)  # non-inheritable, and above the standard range while 0-2 are open
    except OSError:
        yield None  # no stdin at all: the session sees the end of input at once
        return
    diverted = False
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            os.dup2(null, 0)
            diverted = True
        finally:
            os.close(null)
    except OSError:
        pass  # could not divert: serve anyway, reading from the duplicate
    try:
        yield private
    finally:
        if diverted:
            with contextlib.suppress(OSError):
                os.dup2(private, 0)


class _StdinLines:
    """The lines of a file descriptor as an async iterable of str (what `stdio_server` iterates)."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def __aiter__(self) -> AsyncIterator[str]:
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        if self._fd is None:
            return
        send, receive = anyio.create_memory_object_stream[bytes](1)
        token = anyio.lowlevel.current_token()
        threading.Thread(
            target=_pump, args=(self._fd, send, token), name="gmail-mcp stdin", daemon=True
        ).start()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        async with receive:
            async for chunk in receive:
                pending += decoder.decode(chunk)
                *complete, pending = pending.split("\n")
                for line in complete:
                    yield line + "\n"
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending


def _pump(fd: int, send: MemoryObjectSendStream[bytes], token: Any) -> None:
    """Read `fd` until its end and hand each chunk to the event loop (runs in a daemon thread)."""
    deliver: Callable[..., Any] = anyio.from_thread.run
    try:
        while True:
            try:
                chunk = os.read(fd, _CHUNK)
            except OSError:
                chunk = b""  # a terminal that hung up reads as the end of input
            if not chunk:
                break
            deliver(send.send, chunk, token=token)
        anyio.from_thread.run_sync(send.close, token=token)
    except Exception:
        return  # the server stopped listening (stream closed, or its event loop is gone)

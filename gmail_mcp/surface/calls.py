"""How a tool body runs: on the App's own workers, as a call with `Steps` (progress, cancellation).

The body is synchronous and runs on a worker thread (see `registry.bind`); the layers under it
report progress and check for a cancel through `common.steps`, which knows nothing of MCP. Here
the two are joined to the request:

- progress: a report made on the worker goes to the event loop through a small queue (never
  blocking the worker: when the client reads slowly, reports are dropped, not the call) and is
  sent as `notifications/progress` in order, when the client gave a progressToken;
- cancellation: when the request is cancelled (`notifications/cancelled`, or the connection
  ends), the request's scope is cancelled; the waiting task then marks the call's `Steps`
  cancelled, which wakes any wait and stops the body at its next step. The task still waits for
  the worker to finish: what the body did up to there (a send already under way) is known and
  audited, never abandoned mid-way. Then the request ends cancelled, with no answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

from gmail_mcp.common import steps

T = TypeVar("T")
Progress = tuple[float, float | None, str]
logger = logging.getLogger("gmail_mcp")
QUEUED_REPORTS = 32  # reports waiting to be sent; more are dropped until the client catches up


async def run_call(body: Callable[[], T], workers: anyio.CapacityLimiter, context: Any | None) -> T:
    """Run `body` on a thread of `workers` as one call: its progress reported through `context`
    (the request's MCP Context; None: no reports), stopped at its next step when cancelled.

    Raises:
        Exception: whatever `body` raised (CancelledCallError when it stopped for a cancel).
    """
    loop = anyio.lowlevel.current_token()
    send, receive = anyio.create_memory_object_stream[Progress](QUEUED_REPORTS)

    def report(done: float, total: float | None, message: str) -> None:
        try:
            anyio.from_thread.run_sync(send.send_nowait, (done, total, message), token=loop)
        except (anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # best effort: a report lost is better than a call held up
        except anyio.RunFinishedError:
            pass  # the server is shutting down

    call = steps.Steps(report if context is not None else None)

    def run() -> T:
        with steps.running(call):
            return body()

    async def forward(context: Any) -> None:
        async with receive:
            async for done, total, message in receive:
                try:
                    await context.report_progress(done, total, message)
                except Exception:  # a client gone away: the call goes on, unreported
                    logger.debug("a progress notification could not be sent", exc_info=True)

    finished = False
    watching = anyio.CancelScope()

    async def watch() -> None:
        with watching:
            try:
                await anyio.sleep_forever()
            finally:
                if not finished:  # the request was cancelled (not the watch ended after the body)
                    call.cancel()

    outcome: list[T] = []
    failed: list[Exception] = []
    try:
        async with anyio.create_task_group() as group:
            if context is not None:
                group.start_soon(forward, context)
            group.start_soon(watch)
            try:
                outcome.append(await anyio.to_thread.run_sync(run, limiter=workers))
            except Exception as exc:  # raised below, outside the group (which would wrap it)
                failed.append(exc)
            finally:
                finished = True
                watching.cancel()
                send.close()
    finally:
        receive.close()  # when not forwarding, or the forwarding was cancelled before it began
    if call.cancelled:
        # The request was cancelled: it ends as such (the SDK sends no answer nobody awaits),
        # now that the body has stopped, rather than with the error that stopped it.
        await anyio.lowlevel.checkpoint_if_cancelled()
    if failed:
        raise failed[0]
    return outcome[0]

"""The cyclic garbage collector, paused while a server starts.

Starting means importing the MCP SDK and pydantic, whose models build hundreds of thousands of
long-lived objects. Each time enough have piled up, CPython's collector walks all of them looking
for cycles that are not there: about a tenth of a server's start (measured: `import mcp.server.mcpserver`
632 ms with the collector paused against 691 ms without, medians of 10). `serve` pauses it before
its first import; the server's warm-up resumes it once the handshake has had its time (or a
first call came), and first freezes what start-up built (`gc.freeze`), so later collections no
longer walk those objects.

Reference counting frees everything that is not in a cycle meanwhile. The few cycles start-up
leaves (about 1,400 objects for `serve --enhanced`, a fraction of a megabyte) are frozen with the
rest and never freed: a full collection to find them first would take about 45 ms of the
interpreter just as the first call runs. A process that never resumes (one that fails to start)
exits.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_paused = False


def pause_collector() -> None:
    """Stop automatic garbage collection until `resume_collector`, unless it is already off."""
    global _paused
    with _lock:
        if gc.isenabled():
            gc.disable()
            _paused = True


def resume_collector() -> None:
    """Turn the collector back on if `pause_collector` turned it off, first freezing every object
    made so far (they live as long as the server). Does nothing otherwise: safe to call twice."""
    global _paused
    with _lock:
        if _paused:
            _paused = False
            gc.freeze()
            gc.enable()


def collector_paused() -> bool:
    return _paused

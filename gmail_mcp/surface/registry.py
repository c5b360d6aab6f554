"""Every tool, declared once.

`Tool` (in `names.py`, cheap to import) holds each tool's name: the one place it is written. Each tool module declares its tools
with `Registry.tool`, which binds the name to its title, MCP hints, the OAuth scopes it needs, its
description and its function (the registry entry). Everything else is derived from the entries:
the scopes `gmail-mcp auth` asks for, `--tools`, `--read-only`, which backends offer it (from the
backend features it needs), the prompts' tool mentions, and the README's tool table (checked by a test).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from gmail_mcp.surface.names import Tool
from gmail_mcp.surface.toolkit import Hints

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ToolSpec:
    """One registry entry: everything about a tool but its parameters (the function's signature)."""

    name: Tool
    title: str
    hints: Hints
    scopes: frozenset[str]  # the narrowest OAuth scopes it needs
    description: str
    fn: Callable[..., Any]  # takes the App first, then the tool's arguments
    enhanced: bool = False
    needs: frozenset[str] = frozenset()  # backend features (backend.Feature) it cannot work without

    def offered_by(self, features: frozenset[str] | None) -> bool:
        """Whether a backend with `features` (None: every feature) can serve this tool."""
        return features is None or self.needs <= features


class Registry:
    """The entries of one tool module, in declaration order."""

    def __init__(self, *, enhanced: bool) -> None:
        self.enhanced = enhanced
        self.specs: list[ToolSpec] = []

    def tool(
        self,
        name: Tool,
        title: str,
        hints: Hints,
        scopes: Iterable[str],
        description: str,
        *,
        needs: Iterable[str] = (),
    ) -> Callable[[F], F]:
        def decorator(fn: F) -> F:
            self.specs.append(
                ToolSpec(
                    name, title, hints, frozenset(scopes), description, fn, self.enhanced, frozenset(needs)
                )
            )
            return fn

        return decorator


def all_specs() -> list[ToolSpec]:
    """Every tool of every mode, core first."""
    from gmail_mcp.surface.tools import attachments, core, enhanced

    return [*core.TOOLS.specs, *enhanced.TOOLS.specs, *attachments.TOOLS.specs]


def spec(name: str) -> ToolSpec:
    """The entry of a tool by name.

    Raises:
        KeyError: no such tool.
    """
    return next(s for s in all_specs() if s.name == name)


def bind(fn: Callable[..., Any], app: Any, workers: anyio.CapacityLimiter) -> Callable[..., Any]:
    """`fn` with its first parameter (the App) filled in, and a signature without it.

    The MCP SDK builds the input schema (and runs `Resolve` markers) from the signature. A sync
    tool becomes a coroutine that runs the tool on a thread of `workers`, the server's own pool:
    left to the SDK it would run on anyio's default pool of 40 threads, which the stdio transport
    also reads and writes through, so 40 tools waiting for quota or a backoff would freeze the
    server (no ping, no tools/list, finished answers held back). Waiting for a free worker holds
    no thread at all.
    """
    signature = inspect.signature(fn, eval_str=True)
    parameters = list(signature.parameters.values())[1:]
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def bound_async(*args: Any, **kwargs: Any) -> Any:
            return await fn(app, *args, **kwargs)

        bound: Callable[..., Any] = bound_async
    else:

        @functools.wraps(fn)
        async def bound_sync(*args: Any, **kwargs: Any) -> Any:
            call = functools.partial(fn, app, *args, **kwargs)
            return await anyio.to_thread.run_sync(call, limiter=workers)

        bound = bound_sync
    bound.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return bound

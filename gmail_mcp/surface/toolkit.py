"""The thin machinery under the tools: registration with annotations, the error object, compact schemas.

Every tool failure reaches the model as an `isError` result whose text is the API reference's
error object (`status`, `error_message`, `error_code`, `error_details`). Such results carry no
`structuredContent`, so strict clients that check it against the output schema accept them.
A tool's own result (a pydantic model) becomes `structuredContent` plus the compact, fenced text
of `render.py`.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent, Tool, ToolAnnotations
from pydantic import BaseModel, ValidationError

from gmail_mcp.errors import GmailMcpError, InvalidParamsError, PermissionDeniedError
from gmail_mcp.surface.render import tool_result

logger = logging.getLogger("gmail_mcp")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Hints:
    """The four MCP tool annotations, always all set (the spec's defaults are the unsafe ones)."""

    read_only: bool
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False

    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world,
        )


READ = Hints(read_only=True)


def error_result(error: GmailMcpError) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(error.to_dict(), ensure_ascii=False))],
        is_error=True,
    )


def _presented(result: Any) -> Any:
    """A result model as the MCP result the model reads (render.py); anything else as it is."""
    return tool_result(result) if isinstance(result, BaseModel) else result


class InternalError(GmailMcpError):
    code = "INTERNAL_ERROR"


def guarded(name: str, fn: F, on_error: Callable[[str, GmailMcpError], None] | None = None) -> F:
    """Turn every failure of `fn` into the error object; nothing leaks, nothing crashes the server."""

    def failure(exc: Exception) -> CallToolResult:
        if isinstance(exc, GmailMcpError):
            logger.info("%s failed: %s %s", name, exc.code, exc.message)
            if on_error is not None:
                on_error(name, exc)
            return error_result(exc)
        logger.exception("%s raised an unexpected error", name)
        return error_result(
            InternalError(
                f"{name} failed unexpectedly ({type(exc).__name__}); the server log has the details. "
                "Try again, or report the problem if it persists.",
                tool=name,
            )
        )

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return _presented(await fn(*args, **kwargs))
            except Exception as exc:
                return failure(exc)

        return run_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return _presented(fn(*args, **kwargs))
        except Exception as exc:
            return failure(exc)

    return run  # type: ignore[return-value]


class GmailMCPServer(MCPServer[Any]):
    """MCPServer with argument errors as the error object and lean `tools/list` schemas.

    Unknown arguments are refused (the SDK's argument models drop them silently: a draft tool
    with `attachment_paths` would save a draft without the files). An unknown tool is the protocol
    error the MCP specification shows (-32602, "Unknown tool: <name>"), not a tool result: there
    is no tool whose result it could be. `on_error` hears every failure
    of a tool body; `on_refused` hears argument refusals of tools that change something (the
    bodies of those audit their own refusals).
    """

    def __init__(
        self,
        *args: Any,
        on_error: Callable[[str, GmailMcpError], None] | None = None,
        on_refused: Callable[[str, GmailMcpError], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.hints: dict[str, Hints] = {}
        self._on_error = on_error
        self._on_refused = on_refused
        self._listing: list[Tool] | None = None  # compacted once; tools change only at registration

    @property
    def lowlevel(self) -> Any:
        """The SDK's low-level server under this one: what a streamable HTTP session manager serves."""
        return self._lowlevel_server

    def add(self, name: str, title: str, hints: Hints, description: str, fn: Callable[..., Any]) -> None:
        """Add `fn` as tool `name`, guarded, with its title, hints and description."""
        self.add_tool(
            guarded(name, fn, self._on_error),
            name=name,
            title=title,
            description=description,
            annotations=hints.annotations(),
        )
        self.hints[name] = hints
        self._listing = None

    def keep_only(self, allowed: Callable[[str, Hints], bool]) -> None:
        """Remove every tool `allowed` refuses (read-only mode, --tools)."""
        for name, hints in list(self.hints.items()):
            if not allowed(name, hints):
                self.remove_tool(name)
                del self.hints[name]
        self._listing = None

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        accepted = await self._accepted_arguments(name)
        if accepted is None:
            raise MCPError(
                INVALID_PARAMS,
                f"Unknown tool: {name}. The tools this server offers are in tools/list.",
                {"tool": name},
            )
        unknown = sorted(set(arguments) - accepted)
        if unknown:
            return self._refuse(name, _unknown_arguments(name, unknown, accepted))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                return self._refuse(name, _invalid_arguments(name, exc.__cause__))
            hints = self.hints.get(name)
            if hints is None or hints.read_only or isinstance(exc, UnexpectedToolError):
                raise
            # A resolver failed (e.g. a confirmation answer that does not fit its form): the body,
            # whose own failures are caught by `guarded`, never ran, so nothing was done.
            logger.info("%s refused before it ran: %s", name, exc)
            return self._refuse(
                name,
                PermissionDeniedError(
                    f"Nothing was done: {name} could not get what it needs before running (the "
                    "confirmation answer could not be used). Call again.",
                    tool=name,
                ),
            )

    async def _accepted_arguments(self, name: str) -> set[str] | None:
        """The argument names tool `name` takes (its input schema's properties), None if no such tool."""
        tool = next((t for t in await self.list_tools() if t.name == name), None)
        return None if tool is None else set(tool.input_schema.get("properties", {}))

    def _refuse(self, name: str, error: GmailMcpError) -> CallToolResult:
        hints = self.hints.get(name)
        if self._on_refused is not None and hints is not None and not hints.read_only:
            self._on_refused(name, error)
        return error_result(error)

    async def list_tools(self) -> list[Tool]:
        if self._listing is None:
            self._listing = [
                tool.model_copy(
                    update={
                        "input_schema": compact_schema(tool.input_schema),
                        "output_schema": compact_schema(tool.output_schema, output=True)
                        if tool.output_schema
                        else None,
                    }
                )
                for tool in await super().list_tools()
            ]
        return list(self._listing)


def _unknown_arguments(tool: str, unknown: list[str], accepted: set[str]) -> InvalidParamsError:
    return InvalidParamsError(
        f"{tool} does not take {', '.join(unknown)}; nothing was done. It takes: "
        f"{', '.join(sorted(accepted)) or 'no arguments'}. Fix the call and call again.",
        unknown=unknown,
        accepted=sorted(accepted),
    )


def _invalid_arguments(tool: str, error: ValidationError) -> InvalidParamsError:
    problems = {
        ".".join(str(p) for p in issue["loc"]) or "arguments": issue["msg"] for issue in error.errors()
    }
    listed = "; ".join(f"{field}: {message}" for field, message in problems.items())
    return InvalidParamsError(
        f"Invalid arguments for {tool}: {listed}. Fix them and call again.", fields=problems
    )


def compact_schema(schema: Any, *, output: bool = False) -> Any:
    """An equivalent, shorter JSON schema: every byte of it is paid by every agent on every turn.

    Drops pydantic's generated property titles, writes `anyOf: [X, null]` as `type: [X, "null"]`,
    and drops `default: null` (omitting an optional argument means null). In output schemas,
    where every field is always present, defaults say nothing and go too.
    """
    if isinstance(schema, list):
        return [compact_schema(item, output=output) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and (output or value is None):
            continue
        if key in ("required", "description") and output:
            continue
        if key == "properties" and isinstance(value, dict):
            result[key] = {name: compact_schema(sub, output=output) for name, sub in value.items()}
        else:
            result[key] = compact_schema(value, output=output)
    if "const" in result:
        result.pop("type", None)  # the constant says it all
    options = result.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = next(o for o in options if o != {"type": "null"})
        del result["anyOf"]
        # An optional argument is simply left out; a result field may really be null.
        result = {**other, **result}
        if output:
            result["type"] = (
                [other["type"], "null"] if isinstance(other.get("type"), str) else other.get("type")
            )
            if "enum" in result:
                result["enum"] = [*result["enum"], None]
    return _inline_definitions(result) if "$defs" in result else result


def _inline_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace `$ref`s to `$defs` by the definitions themselves (shorter for single uses)."""
    definitions = schema.pop("$defs")

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref", "")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and len(value) == 1:
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in value.items()}
        if isinstance(value, list):
            return [inline(v) for v in value]
        return value

    return dict(inline(schema))

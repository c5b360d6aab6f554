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
from mcp.server.mcpserver.tools.base import Tool as SdkTool
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent, Tool, ToolAnnotations
from pydantic import BaseModel, ValidationError

from gmail_mcp.errors import GmailMcpError, InvalidParamsError, PermissionDeniedError
from gmail_mcp.surface.render import tool_result

logger = logging.getLogger("gmail_mcp")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Hints:
    """The four MCP tool annotations, each decided for every tool (none left to chance).

    The listing writes a hint only where it differs from the MCP default (readOnlyHint false,
    destructiveHint true, idempotentHint false, openWorldHint true), since a client must read a
    missing hint as that default: the same meaning in fewer bytes. A read-only tool writes neither
    destructiveHint nor idempotentHint, which MCP defines only for tools that are not read-only.
    The defaults are the cautious ones, so a client that ignores a missing hint is more careful,
    never less: a read tool writes readOnlyHint and openWorldHint; a send only destructiveHint: false.
    """

    read_only: bool
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False

    def annotations(self) -> ToolAnnotations:
        def unless(value: bool, default: bool) -> bool | None:
            return None if value == default else value

        return ToolAnnotations(
            read_only_hint=unless(self.read_only, False),
            destructive_hint=None if self.read_only else unless(self.destructive, True),
            idempotent_hint=None if self.read_only else unless(self.idempotent, False),
            open_world_hint=unless(self.open_world, True),
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
        # Tools added with their listed schemas: always listed from them, built when first called.
        self._listed: dict[str, _Listed] = {}

    @property
    def lowlevel(self) -> Any:
        """The SDK's low-level server under this one: what a streamable HTTP session manager serves."""
        return self._lowlevel_server

    def add(self, name: str, title: str, hints: Hints, description: str, fn: Callable[..., Any]) -> None:
        """Add `fn` as tool `name`, guarded, with its title, hints and description."""
        self._build(name, title, hints, description, fn)
        self.hints[name] = hints
        self._listing = None

    def add_listed(
        self,
        name: str,
        title: str,
        hints: Hints,
        description: str,
        schemas: ListedSchemas,
        make: Callable[[], Callable[..., Any]],
    ) -> None:
        """Add tool `name` as `add` does, listed with `schemas` (what `listed_schemas` makes of
        this very tool, e.g. kept in a file) and built only when first called, from the function
        `make` returns then: the SDK's building of a tool's models is a few milliseconds, and
        reading a function's signature imports what its annotations name (the sending code).
        """
        self._listed[name] = _Listed(title, hints, description, make, schemas)
        self.hints[name] = hints
        self._listing = None

    def _build(
        self,
        name: str,
        title: str,
        hints: Hints,
        description: str,
        fn: Callable[..., Any],
        structured: bool | None = None,
    ) -> SdkTool:
        """Have the SDK build tool `name`. `structured=False`: without the output model and
        schema (the listing has them), which the SDK would otherwise build now and check every
        result against, though each is that very model dumped."""
        return self._tool_manager.add_tool(
            guarded(name, fn, self._on_error),
            name=name,
            title=title,
            description=description,
            annotations=hints.annotations(),
            structured_output=structured,
        )

    def _built(self, name: str) -> SdkTool | None:
        """The SDK's tool `name`, built now if it was added listed and not built yet; None if
        there is none. Calls run on the event loop: one at a time builds."""
        tool = self.get_tool(name)
        listed = self._listed.get(name)
        if tool is None and listed is not None:
            tool = self._build(
                name, listed.title, listed.hints, listed.description, listed.make(), structured=False
            )
        return tool

    def get_tool(self, name: str) -> SdkTool | None:
        """The SDK's tool `name` if it is built."""
        return self._tool_manager.get_tool(name)

    def keep_only(self, allowed: Callable[[str, Hints], bool]) -> None:
        """Remove every tool `allowed` refuses (read-only mode, --tools)."""
        for name, hints in list(self.hints.items()):
            if not allowed(name, hints):
                listed = self._listed.pop(name, None)
                if listed is None or self.get_tool(name) is not None:
                    self.remove_tool(name)
                del self.hints[name]
        self._listing = None

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        tool = self._built(name) if name in self.hints else None
        if tool is None:
            raise MCPError(
                INVALID_PARAMS,
                f"Unknown tool: {name}. The tools this server offers are in tools/list.",
                {"tool": name},
            )
        # Checked against the built tool's own schema, whatever a listing said.
        accepted = set(tool.parameters.get("properties", {}))
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

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> Any:
        """The prompt, or JSON-RPC -32602 (invalid params) saying what is wrong: an unknown name, a
        missing or an unknown argument. The SDK answers those with code 0 and logs a traceback."""
        prompt = next((p for p in await self.list_prompts() if p.name == name), None)
        if prompt is None:
            known = ", ".join(p.name for p in await self.list_prompts())
            raise MCPError(INVALID_PARAMS, f"Unknown prompt {name[:80]!r}. Prompts: {known}.")
        given = set(arguments or {})
        declared = {a.name: a for a in prompt.arguments or []}
        missing = sorted(n for n, a in declared.items() if a.required and n not in given)
        unknown = sorted(given - set(declared))
        if missing or unknown:
            problems = [
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(unknown)}" if unknown else "",
            ]
            raise MCPError(
                INVALID_PARAMS,
                f"Prompt {name} arguments: {'; '.join(p for p in problems if p)}. It takes: "
                f"{', '.join(declared) or 'no arguments'}.",
                {"missing": missing, "unknown": unknown},
            )
        return await super().get_prompt(name, arguments, context)

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        """Tool `name`'s input schema, listed or built (the SDK's streamable HTTP transport reads
        it before a call); None if there is no such tool."""
        tool = self.get_tool(name)
        if tool is not None:
            return tool.parameters
        listed = self._listed.get(name)
        return None if listed is None else listed.schemas.input

    def _refuse(self, name: str, error: GmailMcpError) -> CallToolResult:
        hints = self.hints.get(name)
        if self._on_refused is not None and hints is not None and not hints.read_only:
            self._on_refused(name, error)
        return error_result(error)

    async def list_tools(self) -> list[Tool]:
        if self._listing is None:
            listing = []
            for name in list(self.hints):
                listed = self._listed.get(name)
                if listed is not None:  # built or not (a built one has no output schema of its own)
                    listing.append(listed.tool(name))
                    continue
                tool = self.get_tool(name)
                if tool is not None:
                    listing.append(_as_listed(tool, listed_schemas(tool)))
            self._listing = listing
        return list(self._listing)


@dataclass(frozen=True)
class ListedSchemas:
    """A tool's input and output schemas as `tools/list` shows them (compacted)."""

    input: dict[str, Any]
    output: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"inputSchema": self.input, "outputSchema": self.output}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListedSchemas:
        return cls(data["inputSchema"], data["outputSchema"])


def listed_schemas(tool: SdkTool) -> ListedSchemas:
    """What `tools/list` shows of the SDK tool's schemas."""
    output = tool.output_schema
    return ListedSchemas(
        compact_schema(tool.parameters), compact_schema(output, output=True) if output else None
    )


def _as_listed(tool: SdkTool, schemas: ListedSchemas) -> Tool:
    """The `tools/list` entry of a built tool, with `schemas`."""
    return Tool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=schemas.input,
        output_schema=schemas.output,
        annotations=tool.annotations,
        icons=tool.icons,
        _meta=tool.meta,
    )


@dataclass(frozen=True)
class _Listed:
    """A tool added with its listed schemas, built when first called."""

    title: str
    hints: Hints
    description: str
    make: Callable[[], Callable[..., Any]]  # the tool's function
    schemas: ListedSchemas

    def tool(self, name: str) -> Tool:
        return Tool(
            name=name,
            title=self.title,
            description=self.description,
            input_schema=self.schemas.input,
            output_schema=self.schemas.output,
            annotations=self.hints.annotations(),
        )


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


def compact_schema(
    schema: Any, *, output: bool = False, top: bool = True, option: bool = False, optional: bool = False
) -> Any:
    """An equivalent, shorter JSON schema: every byte of it is paid by every agent on every turn.

    Drops pydantic's generated property titles, writes `anyOf: [X, null]` as `type: [X, "null"]`,
    drops `type` beside `enum` or `const` (the values say it), and drops `default` when it is
    null, "", [], 0 or false (omitting an optional argument means just that). In output schemas,
    defaults say nothing and go too; the result's own `required` stays, so `{}` is no valid
    result; nested objects and arrays (which the server builds) lose their `required` and their
    `type: object` or `type: array` (their `properties` or `items` say it): a few hundred bytes.
    A result leaves out a field that is null (`render.tool_result`), so an optional result field
    is typed without null; a required one that may be null keeps `type: [X, "null"]`.
    A result field that is always the same value (`status: "success"`) is left out of the schema
    (it still comes in every result; no schema here forbids more fields). Inside the objects a
    result lists (emails, labels, attachments), a string field is written `{}` and a list of
    strings `{"items": {}}`: the field is named, its values show it is text, and the 80-odd such
    fields cost a kilobyte per listing.
    """
    if isinstance(schema, list):
        return [compact_schema(item, output=output, top=False, option=True) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and (output or value in (None, "", [], 0, False)):
            continue
        if key == "description" and output:
            continue
        if key == "required" and output and not top:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):  # name -> schema
            required = set(schema.get("required", ())) if key == "properties" else set()
            subs = {
                name: compact_schema(sub, output=output, top=False, optional=name not in required)
                for name, sub in value.items()
            }
            if output and key == "properties":  # a field that is always one value (status) tells nothing
                subs = {name: sub for name, sub in subs.items() if set(sub) != {"const"}}
            result[key] = subs
        else:
            result[key] = compact_schema(value, output=output, top=False)
    options = result.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = next(o for o in options if o != {"type": "null"})
        rest = {k: v for k, v in result.items() if k != "anyOf"}
        # An optional argument is simply left out, and so is a result field that is null.
        if not output or optional:
            result = {**other, **rest}
        elif "enum" in other:
            result = {**other, **rest, "enum": [*other["enum"], None]}
        elif isinstance(other.get("type"), str):
            result = {**other, **rest, "type": [other["type"], "null"]}
    if "const" in result or "enum" in result:
        result.pop("type", None)  # the values say it all
    elif (
        output
        and not top
        and not option
        and (result.get("type"), "properties" in result, "items" in result)
        in (
            ("object", True, False),
            ("array", False, True),
        )
    ):
        result.pop("type")  # the properties or items of what the server built say it
    if "$defs" in result:
        result = _inline_definitions(result)
    if output and top:
        for field in result.get("properties", {}).values():
            _untype_listed_strings(field)
    return result


def _untype_listed_strings(schema: Any, listed: bool = False) -> None:
    """Write `{}` for the string fields of the objects inside a result's lists (see compact_schema)."""
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if listed and sub == {"type": "string"}:
            schema["properties"][name] = {}
        elif listed and sub == {"items": {"type": "string"}}:
            schema["properties"][name] = {"items": {}}
        else:
            _untype_listed_strings(sub, listed)
    _untype_listed_strings(schema.get("items"), listed=True)


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

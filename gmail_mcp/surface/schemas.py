"""Every tool's schemas as `tools/list` shows them, kept in `schemas.json` beside this module.

The MCP SDK builds a tool's argument and output models when the tool is added, and turns each into
JSON Schema: 2-3 ms a tool, about 80 ms for the enhanced server's 28, a tenth of a server's start
(a bare MCPServer's is about 740 ms on our machine). A server therefore lists its tools from this
file and has the SDK build a tool when it is first called; the unknown-argument check then reads
the built tool's own schema, never the file's.

The file is made from the tools themselves: `python -m gmail_mcp.surface.schemas` rewrites it,
and a test fails, saying that command, when it no longer matches what the tools would list. A tool
the file does not have is built at start, as before.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from gmail_mcp.surface.registry import ToolSpec, bind
from gmail_mcp.surface.toolkit import ListedSchemas, guarded, listed_schemas

FILE = Path(__file__).with_name("schemas.json")
COMMAND = "uv run --locked python -m gmail_mcp.surface.schemas"
_NO_WORKERS: Any = None  # the tools are only inspected here, never run


@cache
def kept() -> dict[str, ListedSchemas]:
    """The schemas in the file, by tool name (none if it is missing or unreadable)."""
    try:
        data = json.loads(FILE.read_text("utf-8"))
        return {name: ListedSchemas.from_json(entry) for name, entry in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def generated(specs: Iterable[ToolSpec]) -> dict[str, ListedSchemas]:
    """The schemas the SDK builds for each tool of `specs`, as listed (slow: what the file saves)."""
    from mcp.server.mcpserver.tools.base import Tool

    return {
        str(spec.name): listed_schemas(
            Tool.from_function(guarded(spec.name, bind(spec.fn, None, _NO_WORKERS)))
        )
        for spec in specs
    }


def render(schemas: dict[str, ListedSchemas]) -> str:
    """The file's text: sorted, one tool a line, so a change shows as the lines of its tools."""
    lines = [
        f"  {json.dumps(name)}: {json.dumps(schemas[name].to_json(), ensure_ascii=False)}"
        for name in sorted(schemas)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> int:
    from gmail_mcp.surface.registry import all_specs

    text = render(generated(all_specs()))
    if FILE.exists() and FILE.read_text("utf-8") == text:
        print(f"{FILE} is up to date", file=sys.stderr)
        return 0
    FILE.write_text(text, "utf-8")
    print(f"rewrote {FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

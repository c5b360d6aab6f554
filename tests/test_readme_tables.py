"""The README's tool and scope tables say what the registry declares."""

from __future__ import annotations

import re
from pathlib import Path

from gmail_mcp.gmail import scopes
from gmail_mcp.surface.registry import all_specs

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    return README.read_text().split(f"\n{title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_tool_tables_list_every_tool_once() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \|", section("## Tools"), re.MULTILINE)
    assert sorted(rows) == sorted(str(s.name) for s in all_specs())


def test_the_scope_table_gives_each_tool_it_names_exactly_its_scopes() -> None:
    table = section("### 2. Log in once").split("| Scope | Tools that need it |", 1)[1].split("\n\n", 1)[0]
    declared = {str(s.name): s.scopes for s in all_specs()}
    named: dict[str, frozenset[str]] = {}
    for scope_cell, tools_cell in re.findall(r"^\| (.+?) \| (.+?) \|$", table, re.MULTILINE)[1:]:
        row_scopes = frozenset(scopes.short_name(s) for s in re.findall(r"`(gmail\.[a-z.]+)`", scope_cell))
        for tool in re.findall(r"`([a-z]+(?:-[a-z]+)+)`", tools_cell):
            named[tool] = row_scopes
    assert named == {tool: frozenset(scopes.short_name(s) for s in declared[tool]) for tool in named}
    # Every tool beyond what gmail.modify covers is in the table.
    beyond = {t for t, needed in declared.items() if scopes.unusable({t: needed}, [scopes.MODIFY])}
    assert beyond and beyond <= set(named)

"""The shape of the code, checked: each tool name is written once, in the registry."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import gmail_mcp
from gmail_mcp.surface.names import Tool
from gmail_mcp.surface.registry import all_specs

PACKAGE = Path(gmail_mcp.__file__).parent


def string_literals() -> Counter[str]:
    """Every string constant in the package's source, docstrings included, with how often it occurs."""
    found: Counter[str] = Counter()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found[node.value] += 1
    return found


def whole_name(name: str) -> re.Pattern[str]:
    """`name` as a whole name, not as part of a longer one (send-email in send-email-with-attachment)."""
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


def test_each_tool_name_is_written_once_in_the_package() -> None:
    literals = string_literals()
    counts = {
        name.value: sum(len(whole_name(name).findall(text)) * n for text, n in literals.items())
        for name in Tool
    }
    assert counts == {name.value: 1 for name in Tool}


def test_every_declared_name_has_exactly_one_registry_entry() -> None:
    names = [spec.name for spec in all_specs()]
    assert sorted(names) == sorted(Tool)


def test_the_top_level_holds_only_entry_points_and_shared_basics() -> None:
    # Issue 14: at most ten modules beside the layer packages, so the layers are what one sees first.
    modules = sorted(path.name for path in PACKAGE.glob("*.py"))
    packages = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
    assert len(modules) <= 10, modules
    assert set(packages) == {"actions", "common", "content", "gmail", "imap", "sandbox", "surface"}

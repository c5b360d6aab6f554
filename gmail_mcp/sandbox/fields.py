"""The standard `fields` parameter: a partial response with only the fields asked for.

Google's syntax: a comma-separated list of field paths, ``a/b`` for a field inside another,
``a(b,c)`` for several fields inside one, ``*`` for every field at that level. A selection inside
an array applies to each of its elements. For example
``messages(id,threadId),nextPageToken`` or ``id,payload/headers``.

Gmail answers a selection naming a field its resource does not have with 400; the sandbox knows
no schema here, so such names simply select nothing.
"""

from __future__ import annotations

import re

from gmail_mcp.sandbox.apierror import ApiError

Selection = dict[str, "Selection | None"]  # None: the whole value

_TOKEN = re.compile(r"\s*([A-Za-z0-9_*]+|[(),/])")


def invalid_selection(text: str) -> ApiError:
    """400 as Google words a malformed `fields` value."""
    return ApiError(400, "invalidParameter", f"Invalid field selection {text}")


def parse_fields(text: str) -> Selection:
    """A `fields` value as a tree of selections. Raises ApiError 400 for malformed syntax."""
    tokens = []
    position = 0
    stripped = text.strip()
    while position < len(stripped):
        found = _TOKEN.match(stripped, position)
        if not found:
            raise invalid_selection(text)
        tokens.append(found.group(1))
        position = found.end()
    selection, used = _parse_list(tokens, 0, text)
    if used != len(tokens) or not selection:
        raise invalid_selection(text)
    return selection


def _parse_list(tokens: list[str], i: int, text: str) -> tuple[Selection, int]:
    selection: Selection = {}
    while True:
        path: list[str] = []
        while True:
            if i >= len(tokens) or tokens[i] in "(),/":
                raise invalid_selection(text)
            path.append(tokens[i])
            i += 1
            if i < len(tokens) and tokens[i] == "/":
                i += 1
                continue
            break
        inner: Selection | None = None
        if i < len(tokens) and tokens[i] == "(":
            inner, i = _parse_list(tokens, i + 1, text)
            if i >= len(tokens) or tokens[i] != ")":
                raise invalid_selection(text)
            i += 1
        _merge(selection, path, inner)
        if i < len(tokens) and tokens[i] == ",":
            i += 1
            continue
        return selection, i


def _merge(selection: Selection, path: list[str], inner: Selection | None) -> None:
    head, rest = path[0], path[1:]
    leaf: Selection | None = inner
    for name in reversed(rest):
        leaf = {name: leaf}
    if head not in selection:
        selection[head] = leaf
        return
    existing = selection[head]
    if existing is None or leaf is None:
        selection[head] = None  # the whole value wins over a part of it
        return
    for name, sub in leaf.items():
        _merge(existing, [name], sub)


def select(value: object, selection: Selection | None) -> object:
    """`value` reduced to the selection (applied to each element of a list)."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [select(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, object] = {}
    for key, item in value.items():
        if key in selection:
            out[key] = select(item, selection[key])
        elif "*" in selection:
            out[key] = select(item, selection["*"])
    return out

"""Finding a label by what a person or a model calls it: the same rule for every backend."""

from __future__ import annotations

from collections.abc import Sequence

from gmail_mcp.errors import NotFoundError
from gmail_mcp.models import Label


def find_label(labels: Sequence[Label], name_or_id: str) -> Label:
    """The label among `labels` with that id, else with that name (case-insensitive).

    Raises:
        NotFoundError: no label has that id or name; the details list the user labels there are.
    """
    wanted = name_or_id.strip()
    for label in labels:
        if label.id == wanted:
            return label
    for label in labels:
        if label.name.casefold() == wanted.casefold():
            return label
    raise NotFoundError(
        f"No label is called {wanted!r}. The details list the labels there are.",
        label=wanted,
        available=sorted(label.name for label in labels if label.type == "user"),
    )

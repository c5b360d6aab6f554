"""The benchmark's arithmetic, free of I/O: costs between two stats snapshots, bytes of a result,
medians and ratios."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cost:
    """What an operation cost Gmail: HTTP requests (a batch is one) and quota units (batch parts
    included), with the calls per method."""

    requests: int = 0
    quota_units: int = 0
    by_method: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def between(cls, before: Mapping[str, Any], after: Mapping[str, Any]) -> Cost:
        """The cost of what happened between two `/__sandbox/stats` snapshots.

        Raises:
            ValueError: the counters went down (the sandbox was reset in between).
        """
        requests = int(after["requests"]) - int(before["requests"])
        units = int(after["quota_units"]) - int(before["quota_units"])
        old, new = before.get("by_method", {}), after.get("by_method", {})
        methods = {name: int(new[name]) - int(old.get(name, 0)) for name in new}
        if requests < 0 or units < 0 or any(n < 0 for n in methods.values()):
            raise ValueError("the sandbox's counters went down between two snapshots: was it reset?")
        return cls(requests, units, {name: n for name, n in sorted(methods.items()) if n})

    def __add__(self, other: Cost) -> Cost:
        methods = dict(self.by_method)
        for name, n in other.by_method.items():
            methods[name] = methods.get(name, 0) + n
        return Cost(self.requests + other.requests, self.quota_units + other.quota_units, methods)


@dataclass(frozen=True)
class ResultSize:
    """The bytes of a tool result: the text the model reads (every text content block, UTF-8) and
    the structured content (compact JSON, UTF-8), which travels beside it."""

    text: int = 0
    structured: int = 0

    def __add__(self, other: ResultSize) -> ResultSize:
        return ResultSize(self.text + other.text, self.structured + other.structured)


def result_size(content: Iterable[Any], structured: Any) -> ResultSize:
    """The size of a `CallToolResult`'s `content` blocks and `structured_content`."""
    text = sum(len(block.text.encode("utf-8")) for block in content if getattr(block, "type", "") == "text")
    if structured is None:
        return ResultSize(text, 0)
    encoded = json.dumps(structured, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return ResultSize(text, len(encoded))


def median(values: Iterable[float]) -> float:
    """The median.

    Raises:
        ValueError: no values.
    """
    values = list(values)
    if not values:
        raise ValueError("no values to take the median of")
    return float(statistics.median(values))


def ratio(value: float | None, base: float | None) -> float | None:
    """`value / base`, or None when either is unknown or the base is not positive."""
    if value is None or base is None or base <= 0:
        return None
    return value / base

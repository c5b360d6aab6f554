"""`gmail-mcp bench --quick`: counts and bytes against the expectations kept in the repository.

The file (benchmarks/expected.json) holds the `figures` last recorded (`--quick --update` rewrites
them) and the `budgets` (the project's byte targets, kept by `--update`). The rules:

- requests and quota units per operation must not exceed the recorded figure (fewer is an
  improvement: a notice asks to record it);
- bytes must stay within the budget where there is one, and within the recorded figure plus
  `BYTES_SLACK` (so wording may change, but a result that balloons is caught). A figure recorded
  over its budget is a known debt: it may not grow at all, and every run says so.

Timings are never checked: CI machines are too noisy for them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gmail_mcp.surface.names import Tool

COUNTS = ("requests", "quota_units")
BYTES_SLACK = 0.10
ABOUT = (
    "Counts and bytes `gmail-mcp bench --quick` checks (CI: .ci/run). Record new figures with "
    "`uv run --locked gmail-mcp bench --quick --update`; budgets are kept as they are."
)

Figures = dict[str, dict[str, int]]

# The byte targets of issue 13, written into a new expectations file (the file's own are kept after).
DEFAULT_BUDGETS: Figures = {
    f"{Tool.SEARCH_EMAILS} 20": {"text_bytes": 7_500},
    f"{Tool.LIST_LABELS}": {"text_bytes": 1_500},  # the seeded mailbox's 20 labels
    "tools/list core": {"bytes": 8_500},
    "tools/list enhanced": {"bytes": 16_000},
}


@dataclass(frozen=True)
class Finding:
    key: str
    metric: str
    expected: int | None
    measured: int | None
    limit: int | None
    verdict: str  # "ok", "improved", "over budget", "new", "REGRESSION", "MISSING"
    note: str = ""


@dataclass
class Check:
    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.verdict in ("REGRESSION", "MISSING")]

    @property
    def notices(self) -> list[Finding]:
        return [f for f in self.findings if f.verdict in ("improved", "over budget", "new")]


def load(path: Path) -> dict[str, Any]:
    """The expectations file.

    Raises:
        FileNotFoundError: there is none yet (`--update` writes it).
        ValueError: it is not JSON of the expected shape.
    """
    document = json.loads(path.read_text("utf-8"))
    if not isinstance(document, dict):
        raise ValueError("not a JSON object with 'figures' and 'budgets'")
    for section in ("figures", "budgets"):
        table = document.get(section, {})
        if not isinstance(table, dict) or not all(
            isinstance(metrics, dict)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in metrics.values())
            for metrics in table.values()
        ):
            raise ValueError(f"'{section}' must map each figure to {{metric: whole number}}")
    return document


def updated(document: Mapping[str, Any], figures: Figures) -> dict[str, Any]:
    """`document` with `figures` recorded; its budgets kept (the default ones for a new file)."""
    budgets = document.get("budgets", DEFAULT_BUDGETS)
    return {"about": ABOUT, "budgets": dict(budgets), "figures": figures}


def save(path: Path, document: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


def compare(document: Mapping[str, Any], measured: Figures) -> Check:
    """Every recorded figure against what was measured now."""
    expected: Figures = document.get("figures", {})
    budgets: Figures = document.get("budgets", {})
    check = Check()
    for key, metrics in expected.items():
        for metric, recorded in metrics.items():
            now = measured.get(key, {}).get(metric)
            budget = budgets.get(key, {}).get(metric)
            check.findings.append(_judge(key, metric, recorded, now, budget))
    for key, metrics in measured.items():
        for metric, now in metrics.items():
            if metric not in expected.get(key, {}):
                check.findings.append(Finding(key, metric, None, now, None, "new", "record it with --update"))
    return check


def _judge(key: str, metric: str, recorded: int, now: int | None, budget: int | None) -> Finding:
    if now is None:
        return Finding(key, metric, recorded, None, None, "MISSING", "not measured by this run")
    if metric in COUNTS:
        if now > recorded:
            return Finding(key, metric, recorded, now, recorded, "REGRESSION", f"{now - recorded} more")
        if now < recorded:
            return Finding(key, metric, recorded, now, recorded, "improved", "record it with --update")
        return Finding(key, metric, recorded, now, recorded, "ok")
    if budget is not None and recorded > budget:
        # A known debt: it may shrink, never grow.
        if now <= budget:
            return Finding(
                key, metric, recorded, now, recorded, "improved", "within budget: record it with --update"
            )
        verdict = "REGRESSION" if now > recorded else "over budget"
        return Finding(key, metric, recorded, now, recorded, verdict, f"budget {budget}")
    limit = math.floor(recorded * (1 + BYTES_SLACK))
    if budget is not None:
        limit = min(limit, budget)
    if now > limit:
        why = (
            f"budget {budget}" if budget is not None and limit == budget else f"recorded + {BYTES_SLACK:.0%}"
        )
        return Finding(key, metric, recorded, now, limit, "REGRESSION", why)
    if now < recorded:
        return Finding(key, metric, recorded, now, limit, "improved", "record it with --update")
    return Finding(key, metric, recorded, now, limit, "ok")

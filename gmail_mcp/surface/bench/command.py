"""`gmail-mcp bench`: run the benchmark, print the table or JSON, and for `--quick` judge the
figures against the expectations file."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

import anyio

from gmail_mcp.surface.bench import expect
from gmail_mcp.surface.bench.processes import BenchError
from gmail_mcp.surface.bench.report import full_report, quick_report
from gmail_mcp.surface.bench.runner import Options, full_run, quick_run


def run(
    options: Options,
    *,
    quick: bool = False,
    update: bool = False,
    expected: Path = Path("benchmarks/expected.json"),
    as_json: bool = False,
    out_path: Path | None = None,
    out: TextIO = sys.stdout,
    measure_quick: Callable[[], Awaitable[expect.Figures]] = quick_run,
) -> int:
    """Run the full benchmark, or the quick one (`measure_quick` measures it). Returns the exit
    status: 0, 1 for a regression (quick), 2 when something could not be measured or the
    expectations are missing."""
    try:
        if quick:
            return _quick(
                measure_quick, update=update, expected=expected, as_json=as_json, out_path=out_path, out=out
            )
        figures = anyio.run(full_run, options)
    except BenchError as exc:
        print(f"gmail-mcp bench: {exc}", file=sys.stderr)
        return 2
    _write(figures, out_path)
    out.write(json.dumps(figures, indent=2) + "\n" if as_json else full_report(figures))
    return 0


def _quick(
    measure: Callable[[], Awaitable[expect.Figures]],
    *,
    update: bool,
    expected: Path,
    as_json: bool,
    out_path: Path | None,
    out: TextIO,
) -> int:
    try:
        document = expect.load(expected)
    except FileNotFoundError:
        if not update:
            print(
                f"gmail-mcp bench: no expectations at {expected}; record them with "
                "`gmail-mcp bench --quick --update` (or name the file with --expected)",
                file=sys.stderr,
            )
            return 2
        document = {}
    except ValueError as exc:
        print(f"gmail-mcp bench: {expected} is unreadable: {exc}", file=sys.stderr)
        return 2
    figures = anyio.run(measure)
    check = expect.compare(document, figures)
    result: dict[str, Any] = {
        "mode": "quick",
        "expected": str(expected),
        "figures": figures,
        "findings": [finding.__dict__ for finding in check.findings],
        "regressions": len(check.failures),
    }
    _write(result, out_path)
    out.write(json.dumps(result, indent=2) + "\n" if as_json else quick_report(check, str(expected)))
    if update:
        expect.save(expected, expect.updated(document, figures))
        print(
            f"gmail-mcp bench: recorded {sum(map(len, figures.values()))} figures in {expected}",
            file=sys.stderr,
        )
        return 0
    return 1 if check.failures else 0


def _write(figures: dict[str, Any], path: Path | None) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")

"""The tables people read: the full run's figures, and the quick run's verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gmail_mcp.surface.bench.expect import Check

Row = Sequence[str]


def table(header: Row, rows: Sequence[Row]) -> str:
    """Columns padded to their widest cell: the first left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Row) -> str:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else _figure(seconds * 1000)


def _x(value: float | None) -> str:
    return "-" if value is None else _figure(value)


def _figure(value: float) -> str:
    """Three significant digits or so: 1.13, 27.4, 1,128."""
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _pair(cold: int, warm: int) -> str:
    return _n(warm) if cold == warm else f"{cold:,}/{warm:,}"


def full_report(figures: Mapping[str, Any]) -> str:
    """The full run as text: how it was run, the floor, the operations, the process figures."""
    runs, machine = figures["runs"], figures["machine"]
    lines = [
        f"gmail-mcp bench: {figures['latency_ms']:g} ms per Gmail request; medians of {runs['warm']} warm "
        f"calls and of {runs['cold']} fresh servers per operation",
        f"  sandbox: {figures['commands']['sandbox']}",
        f"  paging:  {figures['commands']['paging sandbox']} (500 generated inbox messages)",
        f"  server:  {figures['commands']['serve']} (stdio, official MCP client)",
        *(f"  note:    {note}" for note in figures["notes"]),
        f"  machine: {machine['platform']}; {machine['cpu']}; {machine['cpus']} CPUs; "
        f"load {machine['load_average']}; Python {machine['python']}, mcp {machine['mcp']}, "
        f"gmail-mcp {machine['gmail_mcp']}" + (f" ({machine['commit']})" if machine["commit"] else ""),
        "",
        f"floor: two sequential round trips to the same sandbox = {_ms(figures['floor']['seconds'])} ms",
        "",
    ]
    header = [
        "operation",
        "items",
        "requests",
        "units",
        "cold ms",
        "x floor",
        "warm ms",
        "x floor",
        "text B",
        "structured B",
    ]
    rows = [
        [
            op["operation"],
            _n(op["items"]),
            _pair(op["cold_requests"], op["requests"]),
            _pair(op["cold_quota_units"], op["quota_units"]),
            _ms(op["cold_seconds"]),
            _x(op["cold_floor_ratio"]),
            _ms(op["warm_seconds"]),
            _x(op["warm_floor_ratio"]),
            _n(op["text_bytes"]),
            _n(op["structured_bytes"]),
        ]
        for op in figures["operations"]
    ]
    lines += [
        table(header, rows),
        "requests, units: per call of a warm server (cold/warm where a fresh server's first call differs);",
        "cold: the first call of a fresh server, sent as soon as initialize is answered; x floor: time / floor;",
        "real mode: `serve` with a saved login whose access token has expired (the refresh is no Gmail request).",
    ]
    if any(op["warm_costs_vary"] for op in figures["operations"]):
        varying = ", ".join(op["operation"] for op in figures["operations"] if op["warm_costs_vary"])
        lines.append(f"warm calls did not all cost the same: {varying} (see --json)")
    if figures["startup"]:
        header = ["process", "spawn->tools/list ms", "x bare", "RSS MiB", "x bare", "tools/list B", "tools"]
        rows = [
            [
                s["variant"],
                _ms(s["seconds"]),
                _x(s["ratio"]),
                "-" if s["rss_bytes"] is None else f"{s['rss_bytes'] / 2**20:.1f}",
                _x(s["rss_ratio"]),
                _n(s["tools_list_bytes"]),
                _n(s["tools"]),
            ]
            for s in figures["startup"]
        ]
        connections = max(s["network_connections"] for s in figures["startup"])
        lines += [
            "",
            table(header, rows),
            f"medians of {runs['startup']} interleaved starts each; RSS right after the tools/list answer;",
            f"network connections made by real mode before any tool call: {connections}",
        ]
    return "\n".join(lines) + "\n"


def quick_report(check: Check, expected_path: str) -> str:
    """Each recorded figure with its verdict, then what needs attention."""
    header = ["figure", "metric", "recorded", "measured", "limit", "verdict"]
    rows = [
        [
            f.key,
            f.metric,
            _n(f.expected),
            _n(f.measured),
            _n(f.limit),
            f.verdict + (f" ({f.note})" if f.note else ""),
        ]
        for f in check.findings
    ]
    lines = [
        f"gmail-mcp bench --quick: counts and bytes against {expected_path}",
        "",
        table(header, rows),
        "",
    ]
    for finding in check.findings:
        if finding.verdict == "over budget":
            lines.append(
                f"over budget (recorded, may not grow): {finding.key} {finding.metric} "
                f"{finding.measured:,} B, {finding.note}"
            )
    for finding in check.failures:
        lines.append(
            f"{finding.verdict}: {finding.key} {finding.metric}: measured {_n(finding.measured)}, "
            f"limit {_n(finding.limit)} ({finding.note})"
        )
    recordable = any(f.verdict in ("improved", "new") for f in check.findings)
    lines.append(
        f"{len(check.failures)} regression(s)"
        if check.failures
        else "no regression" + ("; what changed can be recorded with --update" if recordable else "")
    )
    return "\n".join(lines) + "\n"

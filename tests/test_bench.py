"""`gmail-mcp bench`, its arithmetic and its judgement: costs from stats, bytes of a result, ratios,
the quick run's verdicts and the expectations file. No timing is asserted; the runs against real
processes are in test_bench_runs.py."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from mcp.types import ImageContent, TextContent

from gmail_mcp.surface.bench import expect
from gmail_mcp.surface.bench.command import run
from gmail_mcp.surface.bench.measure import Cost, ResultSize, median, ratio, result_size
from gmail_mcp.surface.bench.operations import Sample
from gmail_mcp.surface.bench.report import full_report
from gmail_mcp.surface.bench.runner import OperationRun, Options, operation_figures, startup_figures
from gmail_mcp.surface.bench.startup import StartSample
from gmail_mcp.surface.names import Tool

SEARCH = f"{Tool.SEARCH_EMAILS} 20"
LABELS = f"{Tool.LIST_LABELS}"


def stats(requests: int, units: int, **methods: int) -> dict[str, Any]:
    return {"requests": requests, "quota_units": units, "by_method": methods, "outbox": []}


# -- measure -------------------------------------------------------------------------------------


def test_cost_is_what_the_sandbox_counted_between_two_snapshots() -> None:
    before = stats(3, 15, list=3)
    after = stats(5, 120, list=4, get=20)
    assert Cost.between(before, after) == Cost(2, 105, {"get": 20, "list": 1})


def test_cost_refuses_counters_that_went_down_as_after_a_reset() -> None:
    with pytest.raises(ValueError, match="reset"):
        Cost.between(stats(5, 120), stats(0, 0))


def test_costs_add_up_per_method() -> None:
    assert Cost(1, 5, {"list": 1}) + Cost(1, 100, {"list": 1, "get": 20}) == Cost(
        2, 105, {"list": 2, "get": 20}
    )


def test_result_size_is_utf8_bytes_of_text_blocks_and_of_compact_structured_json() -> None:
    content = [
        TextContent(type="text", text="héllo"),  # é is two bytes
        ImageContent(type="image", data="aGk=", mime_type="image/png"),  # not text the model reads
        TextContent(type="text", text="ok"),
    ]
    structured = {"subject": "Grüße", "n": [1, 2]}
    assert result_size(content, structured) == ResultSize(
        text=6 + 2, structured=len(b'{"subject":"Gr\xc3\xbc\xc3\x9fe","n":[1,2]}')
    )
    assert result_size(content, None) == ResultSize(text=8, structured=0)


def test_median_and_ratio() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([1.0, 2.0, 3.0, 4.0]) == 2.5
    assert ratio(0.15, 0.1) == pytest.approx(1.5)
    assert ratio(None, 0.1) is None
    assert ratio(0.1, 0.0) is None
    with pytest.raises(ValueError):
        median([])


def sample(seconds: float, requests: int = 2, units: int = 105) -> Sample:
    return Sample(seconds=seconds, cost=Cost(requests, units), size=ResultSize(7_000, 9_000), items=20)


def test_operation_times_are_medians_given_as_ratios_to_the_floor() -> None:
    run = OperationRun(SEARCH, Tool.SEARCH_EMAILS)
    run.cold = [sample(0.40, requests=3, units=110), sample(0.30), sample(0.50)]
    run.warm = [sample(0.12), sample(0.16), sample(0.14)]
    figures = operation_figures(run, floor=0.1)
    assert figures["cold_seconds"] == 0.40
    assert figures["cold_floor_ratio"] == pytest.approx(4.0)
    assert figures["warm_seconds"] == 0.14
    assert figures["warm_floor_ratio"] == pytest.approx(1.4)
    # Counts: the first cold call (a fresh server's), and a warm call.
    assert (figures["cold_requests"], figures["cold_quota_units"]) == (3, 110)
    assert (figures["requests"], figures["quota_units"], figures["warm_costs_vary"]) == (2, 105, False)
    assert (figures["text_bytes"], figures["structured_bytes"]) == (7_000, 9_000)


def test_warm_calls_that_cost_differently_are_flagged() -> None:
    run = OperationRun(SEARCH, Tool.SEARCH_EMAILS, cold=[sample(0.3)], warm=[sample(0.1), sample(0.1, 3)])
    assert operation_figures(run, floor=0.1)["warm_costs_vary"] is True


def test_start_up_and_memory_are_ratios_to_the_bare_server_of_the_same_run() -> None:
    mb = 2**20
    starts = {
        "bare": [
            StartSample(1.0, 60 * mb, 370, 1),
            StartSample(0.8, 62 * mb, 370, 1),
            StartSample(0.9, 61 * mb, 370, 1),
        ],
        "core, serve (real mode)": [StartSample(1.0, 70 * mb, 6_000, 9), StartSample(0.99, None, 6_000, 9)],
    }
    bare, core = startup_figures(starts, connections=0)
    assert (bare["ratio"], bare["rss_ratio"]) == (1.0, 1.0)
    assert core["seconds"] == pytest.approx(0.995)
    assert core["ratio"] == pytest.approx(0.995 / 0.9)
    assert core["rss_bytes"] == 70 * mb  # an unreadable RSS is left out, not counted as zero
    assert core["rss_ratio"] == pytest.approx(70 / 61)
    assert (core["tools_list_bytes"], core["tools"], core["network_connections"]) == (6_000, 9, 0)


# -- expectations ------------------------------------------------------------------------------------


def verdicts(check: expect.Check) -> dict[tuple[str, str], str]:
    return {(f.key, f.metric): f.verdict for f in check.findings}


def test_more_requests_or_units_than_recorded_is_a_regression_fewer_an_improvement() -> None:
    recorded = {"figures": {SEARCH: {"requests": 2, "quota_units": 105}, "list": {"requests": 20}}}
    measured = {SEARCH: {"requests": 3, "quota_units": 105}, "list": {"requests": 11}}
    check = expect.compare(recorded, measured)
    assert verdicts(check) == {
        (SEARCH, "requests"): "REGRESSION",
        (SEARCH, "quota_units"): "ok",
        ("list", "requests"): "improved",
    }
    assert [(f.key, f.metric, f.measured, f.limit) for f in check.failures] == [(SEARCH, "requests", 3, 2)]


def test_bytes_may_not_pass_their_budget_even_within_the_slack() -> None:
    document = {"budgets": {SEARCH: {"text_bytes": 7_500}}, "figures": {SEARCH: {"text_bytes": 7_000}}}
    assert verdicts(expect.compare(document, {SEARCH: {"text_bytes": 7_500}})) == {
        (SEARCH, "text_bytes"): "ok"
    }
    check = expect.compare(document, {SEARCH: {"text_bytes": 7_501}})
    assert [(f.verdict, f.limit) for f in check.findings] == [("REGRESSION", 7_500)]


def test_bytes_without_a_budget_may_grow_by_the_slack_only() -> None:
    document = {"figures": {"read": {"structured_bytes": 1_000}}}
    assert not expect.compare(document, {"read": {"structured_bytes": 1_100}}).failures
    assert expect.compare(document, {"read": {"structured_bytes": 1_101}}).failures


def test_bytes_recorded_over_budget_are_a_debt_that_may_shrink_but_never_grow() -> None:
    document = {"budgets": {LABELS: {"text_bytes": 1_500}}, "figures": {LABELS: {"text_bytes": 3_296}}}
    assert verdicts(expect.compare(document, {LABELS: {"text_bytes": 3_296}})) == {
        (LABELS, "text_bytes"): "over budget"
    }
    assert verdicts(expect.compare(document, {LABELS: {"text_bytes": 2_000}})) == {
        (LABELS, "text_bytes"): "over budget"
    }
    assert verdicts(expect.compare(document, {LABELS: {"text_bytes": 3_297}})) == {
        (LABELS, "text_bytes"): "REGRESSION"
    }
    assert verdicts(expect.compare(document, {LABELS: {"text_bytes": 1_400}})) == {
        (LABELS, "text_bytes"): "improved"
    }


def test_a_recorded_figure_the_run_did_not_measure_fails_and_a_new_one_is_noticed() -> None:
    check = expect.compare({"figures": {SEARCH: {"requests": 2}}}, {"other": {"requests": 1}})
    assert verdicts(check) == {(SEARCH, "requests"): "MISSING", ("other", "requests"): "new"}
    assert len(check.failures) == 1


def test_an_update_records_the_figures_and_keeps_the_budgets() -> None:
    kept = {"budgets": {SEARCH: {"text_bytes": 7_000}}, "figures": {SEARCH: {"requests": 9}}}
    assert expect.updated(kept, {SEARCH: {"requests": 2}}) == {
        "about": expect.ABOUT,
        "budgets": {SEARCH: {"text_bytes": 7_000}},
        "figures": {SEARCH: {"requests": 2}},
    }
    # A new file starts with issue 13's byte targets.
    assert expect.updated({}, {})["budgets"] == {
        SEARCH: {"text_bytes": 7_500},
        LABELS: {"text_bytes": 1_500},
        "tools/list core": {"bytes": 8_500},
        "tools/list enhanced": {"bytes": 16_000},
    }


# -- the quick command, with a measurement that returns fixed figures ---------------------------------


MEASURED = {
    SEARCH: {"requests": 2, "quota_units": 105, "text_bytes": 7_000},
    "tools/list core": {"bytes": 6_400},
}


async def measured() -> expect.Figures:
    return json.loads(json.dumps(MEASURED))


def quick(path: Path, **options: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = run(Options(), quick=True, expected=path, out=out, measure_quick=measured, **options)
    return code, out.getvalue()


def test_quick_exits_non_zero_and_says_what_regressed(tmp_path: Path) -> None:
    path = tmp_path / "expected.json"
    expect.save(path, {"budgets": {}, "figures": {SEARCH: {"requests": 1, "quota_units": 105}}})
    code, out = quick(path)
    assert code == 1
    assert f"REGRESSION: {SEARCH} requests: measured 2, limit 1" in out
    assert "1 regression(s)" in out


def test_quick_passes_when_nothing_grew(tmp_path: Path) -> None:
    path = tmp_path / "expected.json"
    expect.save(
        path, {"figures": {SEARCH: {"requests": 3, "text_bytes": 7_000}, "tools/list core": {"bytes": 6_400}}}
    )
    code, out = quick(path)
    assert code == 0
    assert "no regression; what changed can be recorded with --update" in out


def test_update_writes_the_measured_figures_in_one_command(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks" / "expected.json"
    code, _ = quick(path, update=True)
    assert code == 0
    assert expect.load(path)["figures"] == MEASURED
    assert quick(path)[0] == 0  # and the next run passes against them


def test_quick_without_an_expectations_file_says_how_to_record_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = quick(tmp_path / "missing.json")
    assert code == 2
    assert "--quick --update" in capsys.readouterr().err


def test_quick_json_and_out_file_carry_the_figures_and_findings(tmp_path: Path) -> None:
    path = tmp_path / "expected.json"
    expect.save(path, {"figures": {SEARCH: {"requests": 1}}})
    code, out = quick(path, as_json=True, out_path=tmp_path / "out.json")
    shown = json.loads(out)
    assert code == 1
    assert shown == json.loads((tmp_path / "out.json").read_text())
    assert shown["figures"] == MEASURED
    assert shown["regressions"] == 1
    assert shown["findings"][0] == {
        "key": SEARCH,
        "metric": "requests",
        "expected": 1,
        "measured": 2,
        "limit": 1,
        "verdict": "REGRESSION",
        "note": "1 more",
    }


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"figures": []}',
        '{"figures": {"x": {"requests": "2"}}}',
        '{"figures": {"x": {"requests": true}}}',
        '{"budgets": {"x": {"text_bytes": -1}}}',
    ],
    ids=["not-json", "not-an-object", "figures-not-an-object", "a-string", "a-bool", "negative"],
)
def test_an_unreadable_expectations_file_is_refused_saying_what_is_wrong(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "expected.json"
    path.write_text(text)
    code, out = quick(path)
    assert (code, out) == (2, "")
    assert f"{path} is unreadable" in capsys.readouterr().err


def test_the_report_shows_each_operation_with_its_counts_times_ratios_and_bytes() -> None:
    search = OperationRun(SEARCH, Tool.SEARCH_EMAILS)
    search.cold = [sample(0.40, requests=3, units=110)]
    search.warm = [sample(0.125)]
    mb = 2**20
    figures = {
        "latency_ms": 50.0,
        "runs": {"warm": 1, "cold": 1, "startup": 1},
        "commands": {
            "sandbox": "gmail-mcp sandbox",
            "paging sandbox": "gmail-mcp sandbox --load",
            "serve": "gmail-mcp serve",
        },
        "notes": ["`gmail-mcp sandbox` does not take --max-concurrent yet: run without it"],
        "machine": {
            "platform": "p",
            "cpu": "c",
            "cpus": 2,
            "load_average": None,
            "python": "3",
            "mcp": "2",
            "gmail_mcp": "0",
            "commit": None,
        },
        "floor": {"seconds": 0.1},
        "operations": [operation_figures(search, floor=0.1)],
        "startup": startup_figures(
            {"bare": [StartSample(1.0, 64 * mb, 370, 1)], "core": [StartSample(1.1, 72 * mb, 6_402, 9)]}, 0
        ),
    }
    lines = full_report(figures).splitlines()
    assert "floor: two sequential round trips to the same sandbox = 100 ms" in lines
    assert "  note:    `gmail-mcp sandbox` does not take --max-concurrent yet: run without it" in lines
    row = next(line for line in lines if line.startswith(SEARCH)).split()
    assert row[2:] == ["20", "3/2", "110/105", "400", "4.00", "125", "1.25", "7,000", "9,000"]
    core = next(line for line in lines if line.startswith("core")).split()
    assert core[1:] == ["1,100", "1.10", "72.0", "1.12", "6,402", "9"]
    assert lines[-1] == "network connections made by real mode before any tool call: 0"

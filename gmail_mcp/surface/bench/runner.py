"""The two runs of `gmail-mcp bench`: the full one (timings, as ratios) and `--quick` (counts and
bytes only, for CI).

Both start two sandboxes as subprocesses, the seeded mailbox and the 500-message paging mailbox,
with the same options: `--latency-ms L`, Gmail's concurrency cap lifted to 50 and the legacy quota
costs where the sandbox takes those options, and no per-minute quota in the way (pacing is the
Gmail-true issue's subject; this measures efficiency at the floor). The server is always
`gmail-mcp serve --enhanced --sandbox-url URL` over stdio through the official MCP client.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import anyio

from gmail_mcp.gmail import scopes
from gmail_mcp.surface.bench import mailgen
from gmail_mcp.surface.bench.measure import Cost, median, ratio
from gmail_mcp.surface.bench.operations import (
    PAGING_MESSAGES,
    Operation,
    Sample,
    Targets,
    find_targets,
    mcp_session,
    operations,
    run_operation,
    server_argv,
)
from gmail_mcp.surface.bench.processes import (
    BenchError,
    SandboxProcess,
    Tripwire,
    measure_floor,
    sandbox_login,
    supported_options,
    write_login,
)
from gmail_mcp.surface.bench.startup import StartSample, Variant, measure_starts, start_once
from gmail_mcp.surface.names import Tool

NO_QUOTA = "10000000"  # units per minute: far above anything a run spends, on both sides
SANDBOX_WANTS = (("--max-concurrent", "50"), ("--quota-costs", "legacy"))
SERVE_WANTS = (("--quota-costs", "legacy"),)
FIRST_SEARCH = f"first {Tool.SEARCH_EMAILS} 20 after initialize"
FIRST_SEARCH_REAL = f"{Tool.SEARCH_EMAILS} 20, real mode: first call (token refresh)"


@dataclass(frozen=True)
class Options:
    latency_ms: float = 50.0
    runs: int = 10  # warm runs per operation (and floor samples)
    cold_runs: int = 3  # fresh servers per operation
    startup_runs: int = 7  # interleaved rounds of the process figures
    startup: bool = True


@dataclass
class Setup:
    """What both runs start from: sandboxes, the options they and the server got, notes."""

    seeded: SandboxProcess
    paging: SandboxProcess
    targets: Targets
    serve_options: list[str]
    home: Path
    errlog: TextIO
    notes: list[str] = field(default_factory=list)

    def sandbox_for(self, operation: Operation) -> SandboxProcess:
        return self.paging if operation.mailbox == "paging" else self.seeded

    def serve(self, sandbox: SandboxProcess) -> list[str]:
        return ["--enhanced", "--sandbox-url", sandbox.url, *self.serve_options]

    def env(self) -> dict[str, str]:
        return {"GMAIL_MCP_HOME": str(self.home / "serve")}


def _wanted(
    supported: frozenset[str], wants: Sequence[tuple[str, str]], who: str
) -> tuple[list[str], list[str]]:
    options, notes = [], []
    for flag, value in wants:
        if flag in supported:
            options += [flag, value]
        else:
            notes.append(f"`gmail-mcp {who}` does not take {flag} yet: run without it")
    return options, notes


@contextmanager
def started(latency_ms: float) -> Iterator[Setup]:
    """Both sandboxes running, the ids the operations need, and a home for the servers."""
    sandbox_flags, serve_flags = supported_options("sandbox", "serve")
    sandbox_options, notes = _wanted(sandbox_flags, SANDBOX_WANTS, "sandbox")
    serve_options, serve_notes = _wanted(serve_flags, SERVE_WANTS, "serve")
    options = ["--latency-ms", f"{latency_ms:g}", *sandbox_options, "--quota-per-minute", NO_QUOTA]
    with tempfile.TemporaryDirectory(prefix="gmail-mcp-bench-") as temp, contextlib.ExitStack() as stack:
        home = Path(temp)
        # The seeded sandbox starts while the paging mailbox is written.
        seeded = stack.enter_context(SandboxProcess(options))
        mailgen.write_inbox(home / "paging-mail", PAGING_MESSAGES)
        paging = stack.enter_context(SandboxProcess(options, load=home / "paging-mail"))
        seeded.ready()
        paging.ready()
        log_path = home / "servers.log"
        errlog = stack.enter_context(log_path.open("w", encoding="utf-8"))
        try:
            yield Setup(
                seeded=seeded,
                paging=paging,
                targets=find_targets(seeded),
                serve_options=[*serve_options, "--quota-per-minute", NO_QUOTA],
                home=home,
                errlog=errlog,
                notes=notes + serve_notes,
            )
        except BenchError as exc:
            errlog.flush()
            tail = log_path.read_text("utf-8", errors="replace")[-3000:]
            raise BenchError(f"{exc}\n-- the servers' stderr, last lines:\n{tail}") from exc


@asynccontextmanager
async def session(setup: Setup, sandbox: SandboxProcess) -> AsyncIterator[Any]:
    async with mcp_session(setup.serve(sandbox), setup.env(), setup.errlog) as client:
        yield client


# -- the full run -------------------------------------------------------------------------------


@dataclass
class OperationRun:
    operation: str
    tool: str
    cold: list[Sample] = field(default_factory=list)
    warm: list[Sample] = field(default_factory=list)


async def measure_operation(setup: Setup, operation: Operation, options: Options) -> OperationRun:
    """`cold_runs` fresh servers whose first call is this operation; `runs` more calls in the first."""
    sandbox = setup.sandbox_for(operation)
    run = OperationRun(operation.key, operation.tool)
    for number in range(options.cold_runs):
        before = await sandbox.settled_stats()  # before the spawn: a warm-up's requests count
        async with session(setup, sandbox) as client:
            run.cold.append(await run_operation(client, sandbox, operation, setup.targets, before))
            if number == 0:
                for _ in range(options.runs):
                    run.warm.append(await run_operation(client, sandbox, operation, setup.targets))
    return run


async def measure_first_search_real_mode(setup: Setup, options: Options) -> OperationRun:
    """The first search of `serve` in real mode against the sandbox, whose saved access token has
    expired: the refresh is part of the first call unless the server did it beforehand."""
    search = next(op for op in operations() if op.tool is Tool.SEARCH_EMAILS)
    home = setup.home / "real-login"
    env = {"GMAIL_MCP_HOME": str(home), "GMAIL_MCP_API_ROOT": setup.seeded.url + "/"}
    run = OperationRun(FIRST_SEARCH_REAL, search.tool)
    for _ in range(options.cold_runs):
        # A fresh expired login each time: the last server saved the token it refreshed.
        write_login(home, sandbox_login(setup.seeded.url, [scopes.MODIFY]))
        before = await setup.seeded.settled_stats()
        async with mcp_session(["--enhanced", *setup.serve_options], env, setup.errlog) as client:
            run.cold.append(await run_operation(client, setup.seeded, search, setup.targets, before))
    return run


def startup_variants(home: Path, tripwire: Tripwire) -> list[Variant]:
    """The bare server, then `serve` core and enhanced in sandbox mode and in real mode (a saved
    login that needs no refresh; every network client pointed at the tripwire)."""
    sandbox_env = {"GMAIL_MCP_HOME": str(home / "sandbox-mode")}
    real_home = home / "real-mode"
    write_login(real_home, dummy_login())
    real_env = {"GMAIL_MCP_HOME": str(real_home), "GMAIL_MCP_API_ROOT": tripwire.url + "/", **tripwire.env()}
    return [
        Variant("bare MCPServer", [sys.executable, "-m", "gmail_mcp.surface.bench.bare"]),
        Variant("core, serve --sandbox", server_argv(["--sandbox"]), sandbox_env),
        Variant("enhanced, serve --sandbox", server_argv(["--sandbox", "--enhanced"]), sandbox_env),
        Variant("core, serve (real mode)", server_argv([]), real_env),
        Variant("enhanced, serve (real mode)", server_argv(["--enhanced"]), real_env),
    ]


def dummy_login() -> dict[str, Any]:
    """A saved login whose access token is valid for centuries: real mode starts with no refresh."""
    return {
        "token": "bench-access-token",
        "refresh_token": "bench-refresh-token",
        "token_uri": "https://oauth2.googleapis.com/token",
        "client_id": "bench.apps.googleusercontent.com",
        "client_secret": "bench-secret",
        "scopes": [scopes.MODIFY],
        "expiry": "2999-01-01T00:00:00Z",
    }


async def full_run(options: Options) -> dict[str, Any]:
    """Every figure, as the report and `--json` show them."""
    with started(options.latency_ms) as setup:
        floor = measure_floor(setup.seeded.url, max(options.runs, 5))
        runs = [await measure_operation(setup, op, options) for op in operations()]
        runs.append(await measure_first_search_real_mode(setup, options))
        starts: dict[str, list[StartSample]] = {}
        connections = 0
        if options.startup:
            with Tripwire() as tripwire:
                variants = startup_variants(setup.home, tripwire)
                starts = await measure_starts(variants, options.startup_runs)
                connections = tripwire.connections
        return {
            "mode": "full",
            "latency_ms": options.latency_ms,
            "runs": {"warm": options.runs, "cold": options.cold_runs, "startup": options.startup_runs},
            "commands": _commands(setup),
            "notes": setup.notes,
            "machine": machine(),
            "floor": {"seconds": median(floor), "samples": floor},
            "operations": [operation_figures(run, median(floor)) for run in runs],
            "startup": startup_figures(starts, connections) if starts else [],
        }


def _commands(setup: Setup) -> dict[str, str]:
    def shown(argv: Sequence[str]) -> str:
        return "gmail-mcp " + " ".join(argv[3:])

    return {
        "sandbox": shown(setup.seeded.argv),
        "paging sandbox": shown(setup.paging.argv).replace(str(setup.home), "$TMP"),
        "serve": shown(server_argv(setup.serve(setup.seeded))),
    }


def operation_figures(run: OperationRun, floor: float) -> dict[str, Any]:
    """An operation's figures: costs of its first warm call (and of its first cold one), medians
    of its times and their ratios to the floor, the bytes of its first warm result."""
    cold, warm = run.cold[0], (run.warm or run.cold)[0]
    cold_median = median(s.seconds for s in run.cold)
    warm_median = median(s.seconds for s in run.warm) if run.warm else None
    costs = {(s.cost.requests, s.cost.quota_units) for s in run.warm}
    return {
        "operation": run.operation,
        "tool": run.tool,
        "items": warm.items,
        "requests": warm.cost.requests,
        "quota_units": warm.cost.quota_units,
        "by_method": dict(warm.cost.by_method),
        "warm_costs_vary": len(costs) > 1,
        "cold_requests": cold.cost.requests,
        "cold_quota_units": cold.cost.quota_units,
        "cold_seconds": cold_median,
        "cold_samples": [s.seconds for s in run.cold],
        "cold_floor_ratio": ratio(cold_median, floor),
        "warm_seconds": warm_median,
        "warm_samples": [s.seconds for s in run.warm],
        "warm_floor_ratio": ratio(warm_median, floor),
        "text_bytes": warm.size.text,
        "structured_bytes": warm.size.structured,
    }


def startup_figures(starts: Mapping[str, list[StartSample]], connections: int) -> list[dict[str, Any]]:
    """Each variant's median start and RSS, as ratios to the first variant's (the bare server)."""
    names = list(starts)
    bare = starts[names[0]]
    bare_seconds = median(s.seconds for s in bare)
    bare_rss = _median_rss(bare)
    figures = []
    for name in names:
        samples = starts[name]
        seconds, rss = median(s.seconds for s in samples), _median_rss(samples)
        figures.append(
            {
                "variant": name,
                "seconds": seconds,
                "samples": [s.seconds for s in samples],
                "ratio": ratio(seconds, bare_seconds),
                "rss_bytes": rss,
                "rss_ratio": ratio(rss, bare_rss),
                "tools_list_bytes": samples[0].tools_list_bytes,
                "tools": samples[0].tools,
                "network_connections": connections if "real mode" in name else 0,
            }
        )
    return figures


def _median_rss(samples: Sequence[StartSample]) -> float | None:
    known = [s.rss for s in samples if s.rss is not None]
    return median(known) if known else None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text("utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "mcp": metadata.version("mcp"),
        "gmail_mcp": metadata.version("gmail-mcp"),
        "commit": commit or None,
    }


# -- the quick run ------------------------------------------------------------------------------


async def quick_run() -> dict[str, dict[str, int]]:
    """Counts and bytes of each operation's second call (the first warms it up), the first
    search's counts, and the size of `tools/list`, at no latency. The two sandboxes are worked
    side by side (their counts are apart); `tools/list` is measured after the seeded mailbox's
    operations, since a server may call Gmail as soon as it starts."""
    figures: dict[str, dict[str, int]] = {}
    with started(0) as setup:

        async def operations_on(sandbox: SandboxProcess) -> None:
            ops = [op for op in operations() if setup.sandbox_for(op) is sandbox]
            before = await sandbox.settled_stats()
            async with session(setup, sandbox) as client:
                if sandbox is setup.seeded:
                    first = await run_operation(client, sandbox, ops[0], setup.targets, before)
                    figures[FIRST_SEARCH] = _counts(first.cost)
                for op in ops:
                    await run_operation(client, sandbox, op, setup.targets)
                    sample = await run_operation(client, sandbox, op, setup.targets)
                    figures[op.key] = {
                        **_counts(sample.cost),
                        "text_bytes": sample.size.text,
                        "structured_bytes": sample.size.structured,
                    }

        async def seeded_then_tools_list() -> None:
            await operations_on(setup.seeded)
            for mode, options in (("core", []), ("enhanced", ["--enhanced"])):
                argv = server_argv([*options, "--sandbox-url", setup.seeded.url])
                sample = await start_once(Variant(mode, argv, setup.env()))
                figures[f"tools/list {mode}"] = {"bytes": sample.tools_list_bytes}

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(seeded_then_tools_list)
                group.start_soon(operations_on, setup.paging)
        except BaseExceptionGroup as failed:
            # Say what could not be measured, as the sequential full run does.
            reasons = [error for error in failed.exceptions if isinstance(error, BenchError)]
            if reasons:
                raise reasons[0] from failed
            raise
    return {key: figures[key] for key in sorted(figures, key=_order(figures))}


def _order(figures: Mapping[str, Any]) -> Any:
    """Report order: the first search, the operations as declared, then tools/list."""
    keys = [FIRST_SEARCH, *(op.key for op in operations())]
    return lambda key: (keys.index(key) if key in keys else len(keys), key)


def _counts(cost: Cost) -> dict[str, int]:
    return {"requests": cost.requests, "quota_units": cost.quota_units}

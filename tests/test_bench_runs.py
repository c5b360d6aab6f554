"""`gmail-mcp bench` on tiny runs against real processes: the floor's requests, start-up against a
bare server, the tripwire that proves real mode stays off the network, the logins and mailbox it
makes, and one quick run end to end through the command line. Nothing here asserts a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gmail_mcp import cli
from gmail_mcp.gmail.auth import TokenStore
from gmail_mcp.gmail.scopes import MODIFY
from gmail_mcp.sandbox import Mailbox, SandboxServer
from gmail_mcp.surface.bench import expect, mailgen
from gmail_mcp.surface.bench.operations import PAGING_MESSAGES, operations
from gmail_mcp.surface.bench.processes import (
    Tripwire,
    measure_floor,
    sandbox_login,
    supported_options,
    write_login,
)
from gmail_mcp.surface.bench.runner import FIRST_SEARCH, FIRST_SEARCH_REAL, startup_variants
from gmail_mcp.surface.bench.startup import Variant, start_once
from gmail_mcp.surface.names import Tool
from tests.conftest import FakeClock
from tests.helpers import make_client, reset_stats
from tests.test_server import CORE_TOOLS

SEARCH = f"{Tool.SEARCH_EMAILS} 20"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_floor_is_two_sequential_list_calls_per_sample_after_one_to_open_the_connection(
    sandbox: SandboxServer,
) -> None:
    reset_stats(sandbox)
    times = measure_floor(sandbox.url, 3)
    assert len(times) == 3
    assert all(t > 0 for t in times)
    stats = sandbox.stats()
    assert (stats["requests"], stats["by_method"]) == (7, {"gmail.users.messages.list": 7})


def test_options_are_read_from_the_commands_help() -> None:
    sandbox, serve = supported_options("sandbox", "serve")
    assert {"--latency-ms", "--quota-per-minute", "--load"} <= sandbox
    assert {"--enhanced", "--sandbox-url"} <= serve
    assert "--no-such-option" not in sandbox | serve


def test_the_paging_mailbox_is_that_many_inbox_messages_each_its_own_thread(tmp_path: Path) -> None:
    mailgen.write_inbox(tmp_path, 70)  # more than the seed holds: its mail is used again
    mailbox = Mailbox()
    assert mailbox.load(tmp_path).messages == 70
    inbox = mailbox.search(None, ["INBOX"], include_spam_trash=False)
    assert len(inbox) == 70
    assert len({message.thread_id for message in inbox}) == 70


def test_the_sandbox_login_is_expired_and_the_sandbox_refreshes_it(
    sandbox: SandboxServer, fake_clock: FakeClock, tmp_path: Path
) -> None:
    write_login(tmp_path, sandbox_login(sandbox.url, [MODIFY]))
    assert (tmp_path / "token.json").stat().st_mode & 0o777 == 0o600
    credentials = TokenStore(tmp_path / "token.json").load()
    assert not credentials.valid  # the first call must refresh

    profile = make_client(sandbox, fake_clock, credentials=credentials).get_profile()

    assert profile.email_address == sandbox.mailbox.owner
    assert credentials.valid


def test_the_tripwire_counts_a_process_that_reaches_for_the_network() -> None:
    # The proof that real mode's zero below means something: a client honouring the proxy
    # variables, as httplib2 and requests do, lands on the tripwire.
    with Tripwire() as tripwire:
        reach = "import urllib.request\ntry:\n urllib.request.urlopen('http://gmail.googleapis.com/', timeout=10)\nexcept OSError:\n pass"
        subprocess.run([sys.executable, "-c", reach], env=tripwire.env(), timeout=60, check=True)
        assert tripwire.wait_for(1, timeout=10)


@pytest.mark.anyio
async def test_start_up_is_timed_to_the_tools_list_answer_with_its_bytes_and_memory() -> None:
    bare = await start_once(Variant("bare", [sys.executable, "-m", "gmail_mcp.surface.bench.bare"]))
    assert (bare.tools, bare.seconds > 0) == (1, True)
    assert bare.tools_list_bytes > 100
    if Path("/proc/self/status").exists():
        assert bare.rss is not None and bare.rss > 10 * 2**20


@pytest.mark.anyio
async def test_real_mode_starts_and_lists_its_tools_without_touching_the_network(tmp_path: Path) -> None:
    with Tripwire() as tripwire:
        variants = {variant.name: variant for variant in startup_variants(tmp_path, tripwire)}
        core = await start_once(variants["core, serve (real mode)"])
        assert tripwire.connections == 0
    assert core.tools == len(CORE_TOOLS)


def test_a_quick_run_counts_each_operation_and_names_a_regression(tmp_path: Path) -> None:
    # The recorded search is cheaper than it can be: the run must fail and say so.
    expected = tmp_path / "expected.json"
    expect.save(expected, {"budgets": {}, "figures": {SEARCH: {"requests": 1, "quota_units": 105}}})
    argv = [sys.executable, "-m", "gmail_mcp.cli", "bench", "--quick", "--expected", str(expected)]
    done = subprocess.run(
        [*argv, "--out", str(tmp_path / "figures.json")], capture_output=True, text=True, timeout=300
    )

    assert done.returncode == 1, done.stderr
    assert f"REGRESSION: {SEARCH} requests: measured 2, limit 1" in done.stdout
    figures = json.loads((tmp_path / "figures.json").read_text())["figures"]
    assert set(figures) == {
        FIRST_SEARCH,
        *(op.key for op in operations()),
        "tools/list core",
        "tools/list enhanced",
    }
    # One list call and the details of 20 at Gmail's legacy costs (5 units each): cold, in two batches
    # of 10 (a new client starts under Gmail's reported concurrency cap), warm in one; the first
    # also fetches the label list (1 unit), to show user labels by name.
    assert figures[FIRST_SEARCH] == {"requests": 4, "quota_units": 106}
    assert {k: figures[SEARCH][k] for k in ("requests", "quota_units")} == {"requests": 2, "quota_units": 105}
    paging = next(op.key for op in operations() if op.mailbox == "paging")
    pages = PAGING_MESSAGES // 50
    assert figures[paging]["requests"] == 2 * pages
    assert figures[paging]["quota_units"] == pages * 5 + PAGING_MESSAGES * 5
    assert all(figures[op.key]["text_bytes"] > 0 for op in operations())
    assert figures["tools/list core"]["bytes"] < figures["tools/list enhanced"]["bytes"]


def test_a_full_run_measures_every_operation_cold_and_warm_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "full.json"
    options = ["--runs", "1", "--cold-runs", "1", "--no-startup", "--latency-ms", "0", "--out", str(out)]
    assert cli.main(["bench", *options]) == 0

    table = capsys.readouterr().out
    figures = json.loads(out.read_text())
    measured = {row["operation"]: row for row in figures["operations"]}
    assert list(measured) == [*(op.key for op in operations()), FIRST_SEARCH_REAL]
    assert all(len(row["cold_samples"]) == 1 and row["cold_seconds"] > 0 for row in measured.values())
    assert all(len(row["warm_samples"]) == 1 for key, row in measured.items() if key != FIRST_SEARCH_REAL)
    # The same counts as the quick run's: a fresh server's first search lists, fetches the label
    # list and the details in two batches; a warm one in one.
    assert (measured[SEARCH]["cold_requests"], measured[SEARCH]["requests"]) == (4, 2)
    assert (
        measured[FIRST_SEARCH_REAL]["cold_requests"],
        measured[FIRST_SEARCH_REAL]["cold_quota_units"],
    ) == (
        4,
        106,
    )
    assert figures["startup"] == [] and (figures["runs"]["warm"], figures["runs"]["cold"]) == (1, 1)
    assert figures["floor"]["seconds"] > 0 and figures["machine"]["cpus"] == os.cpu_count()
    assert figures["commands"]["paging sandbox"].endswith("--load $TMP/paging-mail")
    assert all(key in table for key in measured) and "spawn->tools/list" not in table

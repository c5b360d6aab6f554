"""How big each HTTP batch is: adapted to Gmail's per-user concurrency cap (see gmail/batching.py)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gmail_mcp.gmail.batching import BatchSizer, Learnt, SizeMemory
from gmail_mcp.sandbox import SandboxServer
from gmail_mcp.sandbox.behaviour import Behaviour
from tests.helpers import make_client, reset_stats


def sizes_under_cap(cap: int, batches: int, sizer: BatchSizer | None = None) -> list[int]:
    """The size of each of `batches` full batches sent against a cap of `cap` concurrent calls."""
    sizer = sizer or BatchSizer()
    seen = []
    for _ in range(batches):
        size = sizer.size
        seen.append(size)
        sizer.record(size, max(0, size - cap))
    return seen


def test_batches_start_at_10_and_grow_to_twice_what_went_through_while_nothing_is_refused() -> None:
    assert sizes_under_cap(100, 5) == [10, 20, 40, 50, 50]


def test_a_refused_batch_shrinks_to_what_went_through_and_stays_there() -> None:
    assert sizes_under_cap(5, 6) == [10, 5, 5, 5, 5, 5]
    assert sizes_under_cap(30, 6) == [10, 20, 40, 30, 30, 30]


def test_after_a_run_of_clean_batches_a_slightly_larger_one_probes_the_cap() -> None:
    # Eight clean batches at 8, then 10 (8 + a quarter): refused, back to 8.
    seen = sizes_under_cap(8, 20)
    assert seen[:11] == [10] + [8] * 8 + [10, 8]


def test_a_cap_that_was_raised_is_found_again_by_probing() -> None:
    sizer = BatchSizer()
    sizes_under_cap(8, 2, sizer)
    assert sizes_under_cap(50, 18, sizer)[-1] > 8


def test_a_batch_nothing_got_through_halves_the_size() -> None:
    sizer = BatchSizer()
    sizer.record(10, 10)  # every slot held by other clients
    assert sizer.size == 5
    sizer.record(5, 5)
    sizer.record(2, 2)
    sizer.record(1, 1)
    assert sizer.size == 1


def test_a_short_clean_batch_proves_only_its_own_size() -> None:
    sizer = BatchSizer()
    sizer.record(3, 0)
    assert sizer.size == 10
    sizer.record(8, 0)
    assert sizer.size == 16


# -- what a server learnt, kept for the next one ------------------------------------------------

ROOT = "https://gmail.googleapis.com/"


def inline(run: Callable[[], None]) -> None:
    run()  # write at once, so each test sees the file as a server would after the write


def test_what_a_sizer_learns_is_kept_and_the_next_sizer_starts_from_it(tmp_path: Path) -> None:
    path = tmp_path / "state" / "batching.json"
    assert sizes_under_cap(100, 3, SizeMemory(path, ROOT, spawn=inline).sizer()) == [10, 20, 40]
    # The next server: from 50 (the last batch of 40 went through), cap not met yet.
    assert sizes_under_cap(100, 2, SizeMemory(path, ROOT, spawn=inline).sizer()) == [50, 50]
    # A cap met is remembered too: the next server starts at what got through and does not grow
    # until a run of clean batches (as in the server that met it).
    sizes_under_cap(30, 2, SizeMemory(path, ROOT, spawn=inline).sizer())
    assert SizeMemory(path, ROOT).load() == Learnt(30, capped=True)
    assert sizes_under_cap(30, 3, SizeMemory(path, ROOT, spawn=inline).sizer()) == [30, 30, 30]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_each_api_root_keeps_its_own_size_and_only_the_latest_roots_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "batching.json"
    SizeMemory(path, ROOT).save(Learnt(40, capped=True))
    for port in range(9000, 9010):  # sandboxes, each on a port of its own
        SizeMemory(path, f"http://127.0.0.1:{port}").save(Learnt(50))
    kept = json.loads(path.read_text())["sizes"]
    assert list(kept) == [f"http://127.0.0.1:{port}" for port in range(9002, 9010)]
    assert SizeMemory(path, ROOT).load() == Learnt()  # the oldest root was dropped: a fresh start
    assert SizeMemory(path, "http://127.0.0.1:9009/").load() == Learnt(50)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"sizes": []}',
        '{"sizes": {"https://gmail.googleapis.com": {"size": 5000, "capped": false}}}',
        '{"sizes": {"https://gmail.googleapis.com": {"size": true, "capped": false}}}',
        '{"sizes": {"https://gmail.googleapis.com": {"size": 0, "capped": false}}}',
        '{"sizes": {"https://gmail.googleapis.com": {"size": 20, "capped": "yes"}}}',
        '{"sizes": {"https://gmail.googleapis.com": 20}}',
    ],
)
def test_a_damaged_or_odd_memory_is_a_fresh_start(tmp_path: Path, text: str) -> None:
    path = tmp_path / "batching.json"
    path.write_text(text)
    assert SizeMemory(path, ROOT).load() == Learnt(10, capped=False)


def test_a_memory_that_cannot_be_written_does_not_fail_the_batch(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    sizer = SizeMemory(blocker / "state" / "batching.json", ROOT, spawn=inline).sizer()
    assert sizes_under_cap(100, 2, sizer) == [10, 20]  # the writes failed (a file is in the way)


@pytest.fixture
def roomy_sandbox(mailbox: Any, fake_clock: Any) -> Any:
    # Gmail working on 50 calls of the user at once: room for a page of 20 in one batch.
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(max_concurrent=50)) as server:
        yield server


def test_a_new_servers_first_search_needs_one_batch_once_an_earlier_server_learnt_the_size(
    roomy_sandbox: Any, fake_clock: Any, tmp_path: Path
) -> None:
    def first_search() -> int:
        memory = SizeMemory(tmp_path / "batching.json", roomy_sandbox.url, spawn=inline)
        client = make_client(roomy_sandbox, fake_clock, batch_memory=memory)
        reset_stats(roomy_sandbox)
        assert len(client.list_messages("in:anywhere", max_results=20).messages) == 20
        requests: int = roomy_sandbox.stats()["requests"]
        client.close()
        return requests

    # The listing, the label list beside it, and the details: 10 (reported safe), then 10 more.
    assert first_search() == 4
    # All 20 details at once: the first server saw 10 go through, then 10 more.
    assert first_search() == 3

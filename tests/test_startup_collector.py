"""The garbage collector paused while `serve` starts, resumed by the server's warm-up (common/startup.py)."""

from __future__ import annotations

import argparse
import gc
from collections.abc import Iterator

import pytest

from gmail_mcp import cli
from gmail_mcp.common import startup
from tests.mcp_harness import Harness


@pytest.fixture(autouse=True)
def collector() -> Iterator[None]:
    """Whatever a test does, the collector is left on and nothing frozen."""
    try:
        yield
    finally:
        startup.resume_collector()
        gc.unfreeze()
        gc.enable()


def test_a_paused_collector_resumes_once_with_what_start_up_built_frozen() -> None:
    gc.unfreeze()
    startup.pause_collector()
    assert not gc.isenabled() and startup.collector_paused()
    startup.resume_collector()
    assert gc.isenabled() and not startup.collector_paused()
    assert gc.get_freeze_count() > 0
    startup.resume_collector()  # a second time does nothing
    assert gc.isenabled()


def test_resuming_leaves_alone_a_collector_someone_else_turned_off() -> None:
    gc.disable()
    startup.pause_collector()
    startup.resume_collector()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_serve_starts_with_the_collector_paused_and_never_leaves_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def start(args: argparse.Namespace) -> int:
        seen.append(gc.isenabled())
        raise cli.CommandError("stopped here")

    monkeypatch.setattr(cli, "_start_serving", start)
    assert cli.main(["serve", "--sandbox"]) == 2
    assert seen == [False]
    assert gc.isenabled()


def test_the_servers_warm_up_resumes_the_collector(harness: Harness) -> None:
    server = harness.server()
    server.load_reading_code = lambda: None  # type: ignore[method-assign]
    startup.pause_collector()
    try:
        server._call_came.set()  # no handshake to leave time for
        server._warm_up()
        assert gc.isenabled()
    finally:
        server.app.account.close()

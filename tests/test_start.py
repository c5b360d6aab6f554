"""Start-up: fast (no mail code loaded before the first read or send, none but the listing code
on a first listing's path) and safe under concurrent first calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# 10 in CI (.ci/run); fewer here, each is a fresh interpreter of a few seconds on a shared machine.
SESSIONS = int(os.environ.get("GMAIL_MCP_FRESH_SESSIONS", "1"))
SENDS = 10


def test_fresh_sessions_with_concurrent_first_sends_all_succeed_and_start_without_mail_code() -> None:
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.first_sends", str(SENDS)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(SESSIONS)
    ]
    results = []
    for run in runs:
        stdout, _ = run.communicate(timeout=110)
        assert run.returncode == 0
        results.append(json.loads(stdout))

    assert [r["outcomes"] for r in results] == [["ok"] * SENDS] * SESSIONS
    assert [r["delivered"] for r in results] == [SENDS] * SESSIONS
    assert [r["loaded_at_start"] for r in results] == [[]] * SESSIONS


def test_a_first_listing_and_the_clients_warm_up_load_no_body_reading_code() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.first_listing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["listed"] == 20
    assert result["after_listing"] == []  # the MIME facade and the HTML code are not on its path
    assert result["after_warm_up"] == []  # the server loads them once no call runs (test_server.py)
    assert result["unused_loaded"] == []  # pyparsing and the signing code stay unloaded throughout

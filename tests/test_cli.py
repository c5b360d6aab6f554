"""The command line as a newcomer meets it: a server started on a terminal, Ctrl-C and SIGTERM, and
`python -m gmail_mcp` (which every subprocess here runs, so it is tested throughout).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.test_e2e import INITIALIZE, START_SECONDS, spawn

CLI = [sys.executable, "-m", "gmail_mcp"]
HINT = "this is an MCP server"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def person_env(tmp_path: Path) -> dict[str, str]:
    """A person's environment: no GMAIL_MCP_* settings; home folders and the temp folder in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GMAIL_MCP_", "XDG_"))}
    for folder in ("home", "tmp"):
        (tmp_path / folder).mkdir(exist_ok=True)
    return {**env, "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp")}


# -- a server on a terminal, and signals --------------------------------------------------------


@pytest.mark.parametrize("args", [["--sandbox"], []], ids=["sandbox", "no-login"])
@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_serve_on_a_terminal_says_what_it_is_and_a_signal_stops_it_at_once(
    tmp_path: Path, args: list[str], signum: int, status: int
) -> None:
    terminal, stdin = os.openpty()
    try:
        with spawn([*CLI, "serve", *args], person_env(tmp_path), stdin=stdin) as server:
            os.close(stdin)
            server.wait_for_stderr(HINT, timeout=3)
            # Serving, and blocked reading the terminal for the next message (what Ctrl-C never ended).
            os.write(terminal, (json_line(INITIALIZE)).encode())
            assert server.receive()["id"] == 1
            server.process.send_signal(signum)
            signalled = time.monotonic()
            code = server.process.wait(timeout=START_SECONDS)
            took = time.monotonic() - signalled
            stderr = server.stderr()
    finally:
        os.close(terminal)
    assert code == status
    assert took < 2, f"the server took {took:.1f} s to stop"
    assert "Traceback" not in stderr


def json_line(message: object) -> str:
    import json

    return json.dumps(message) + "\n"


def test_serve_from_an_mcp_client_prints_no_terminal_hint(tmp_path: Path) -> None:
    with spawn([*CLI, "serve", "--sandbox"], person_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        assert server.finish() == 0
    assert HINT not in "".join(server.stderr_lines)

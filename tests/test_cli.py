"""The command line as a newcomer meets it: a server started on a terminal, Ctrl-C and SIGTERM,
`--load`'s refusals, sandbox sessions that clean up after themselves, help for every option, and
`python -m gmail_mcp` (which every subprocess here runs, so it is tested throughout).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import anyio
import pytest

from gmail_mcp import cli
from gmail_mcp.cli_sandbox import builtin_sandbox
from gmail_mcp.sandbox import cli as sandbox_cli
from tests.sandbox.test_loading import dated, unreadable_file
from tests.test_e2e import INITIALIZE, START_SECONDS, spawn, stdio_client

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


def session_folders(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "tmp").iterdir() if p.name.startswith("gmail-mcp-sandbox-"))


# -- a server on a terminal, and signals --------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "sandbox"), [(["--sandbox"], True), ([], False)], ids=["sandbox", "no-login"]
)
@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_serve_on_a_terminal_says_what_it_is_and_a_signal_stops_it_at_once(
    tmp_path: Path, args: list[str], sandbox: bool, signum: int, status: int
) -> None:
    terminal, stdin = os.openpty()
    try:
        with spawn([*CLI, "serve", *args], person_env(tmp_path), stdin=stdin) as server:
            os.close(stdin)
            server.wait_for_stderr(HINT, timeout=3)
            # Serving, and blocked reading the terminal for the next message (what Ctrl-C never ended).
            os.write(terminal, (json_line(INITIALIZE)).encode())
            assert server.receive()["id"] == 1
            if sandbox:
                assert session_folders(tmp_path)
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
    assert session_folders(tmp_path) == []


def json_line(message: object) -> str:
    import json

    return json.dumps(message) + "\n"


def test_serve_from_an_mcp_client_prints_no_terminal_hint(tmp_path: Path) -> None:
    with spawn([*CLI, "serve", "--sandbox"], person_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        assert server.finish() == 0
    assert HINT not in "".join(server.stderr_lines)


# -- sandbox sessions --------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["end-of-input", "sigterm"])
def test_a_sandbox_session_says_where_its_folders_are_and_removes_them_when_it_ends(
    tmp_path: Path, ending: str
) -> None:
    with spawn([*CLI, "serve", "--sandbox"], person_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        where = server.wait_for_stderr(r"attachments may come from (.+); downloads may go to (.+)$")
        attach, downloads = where[1].split(", "), where[2].split(", ")
        [folder] = session_folders(tmp_path)
        session = tmp_path / "tmp" / folder
        assert [Path(p) for p in attach] == [session / "outbox", session / "downloads"]
        assert Path(downloads[0]) == session / "downloads"
        assert all(Path(p).is_dir() for p in attach)  # ready to copy files into
        if ending == "sigterm":
            server.process.send_signal(signal.SIGTERM)
        code = server.finish()
    assert code == (0 if ending == "end-of-input" else 143)
    assert session_folders(tmp_path) == []


def test_keep_leaves_the_session_folder_and_says_where(tmp_path: Path) -> None:
    with spawn([*CLI, "serve", "--sandbox", "--keep"], person_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        assert server.finish() == 0
    [folder] = session_folders(tmp_path)
    assert f"the session folder is kept at {tmp_path / 'tmp' / folder}" in "".join(server.stderr_lines)


def test_the_demo_sandbox_is_built_on_first_use_and_answers_whoever_connected_before() -> None:
    with builtin_sandbox(None, None, None, "2026") as (url, ready):
        parts = urllib.parse.urlsplit(url)
        # The port is bound at start: a client that connects before the mailbox exists waits.
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as early:
            early.sendall(
                b"GET /gmail/v1/users/me/profile HTTP/1.1\r\nHost: sandbox\r\n"
                b"Authorization: Bearer anything\r\nConnection: close\r\n\r\n"
            )
            ready()
            ready()  # once is enough; again is harmless
            answer = b""
            while chunk := early.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 200 OK"
    assert json.loads(body)["emailAddress"] == "you@example.com"
    with pytest.raises(OSError):
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()  # closed at the end


def test_a_demo_sandbox_never_used_gives_its_port_back() -> None:
    with builtin_sandbox(None, None, None, "2026") as (url, _):
        parts = urllib.parse.urlsplit(url)
    with pytest.raises(OSError):
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()


@pytest.mark.anyio
async def test_serve_sandbox_answers_tool_calls_from_the_demo_mailbox(tmp_path: Path) -> None:
    with anyio.fail_after(60):
        async with stdio_client("--sandbox", home=tmp_path / "home") as client:
            found = await client.ok("search-emails", {"query": "in:inbox", "max_results": 5})
    assert len(found["emails"]) == 5


# -- --load ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("nowhere", None, "no such file or folder"),
        (
            "LICENSE.txt",
            b"MIT License\n\nCopyright (c) 2026\n",
            "not mail (no From, Date, Subject or Message-ID header)",
        ),
    ],
    ids=["missing", "not-mail"],
)
def test_loading_what_is_not_there_or_not_mail_is_one_line_and_a_nonzero_exit(
    tmp_path: Path, name: str, content: bytes | None, why: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    argv = [*CLI, "serve", "--sandbox", "--load", str(path)]
    done = subprocess.run(
        argv, env=person_env(tmp_path), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"gmail-mcp: cannot load {path}: {why}"]
    assert done.stdout == ""
    assert session_folders(tmp_path) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: tmp / "empty",
        lambda tmp: _write(tmp / "empty.eml", b""),
        unreadable_file,
        lambda tmp: _fifo(tmp / "pipe.mbox"),
    ],
    ids=["empty-folder", "empty-file", "unreadable", "fifo"],
)
def test_every_source_with_nothing_to_load_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, make: object
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "empty").mkdir()
    path = make(tmp_path)  # type: ignore[operator]

    status = cli.main(["serve", "--load", str(path)])

    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"gmail-mcp: cannot load {path}: ")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.anyio
async def test_load_alone_serves_that_mail_with_its_newest_unread_and_reports_it(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    for day in range(1, 8):
        (folder / f"{day}.eml").write_bytes(dated(f"day {day}", day))
    home = tmp_path / "home"

    with anyio.fail_after(60):
        # --load without --sandbox: it implies it.
        async with stdio_client("--load", str(folder), "--unread", "3", home=home) as client:
            unread = await client.ok("get-unread-emails", {"max_results": 50})
            everything = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 50})

    assert [email["subject"] for email in unread["emails"]] == ["day 7", "day 6", "day 5"]
    assert len(everything["emails"]) == 7


def test_load_reports_what_it_loaded_and_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_bytes(dated("a", 1, "X-Gmail-Labels: Inbox,Receipts\r\n"))
    (folder / "b.eml").write_bytes(b"\x89PNG\r\n\x1a\n")
    with spawn([*CLI, "serve", "--load", str(folder)], person_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        assert server.finish() == 0
    lines = "".join(server.stderr_lines).splitlines()
    assert lines[:3] == [
        f"gmail-mcp: loaded 1 message (0 unread) from {folder}; labels: Receipts",
        "gmail-mcp: skipped 1 message that could not be loaded:",
        f"gmail-mcp:   {folder / 'b.eml'}: not mail (no From, Date, Subject or Message-ID header)",
    ]


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--sandbox-url", "http://127.0.0.1:9", "--load", "x"], "--load fills a built-in sandbox"),
        (["--sandbox", "--unread", "3"], "--unread takes a number of 0 or more, and goes with --load"),
        (["--load", "x", "--unread", "-1"], "--unread takes a number of 0 or more, and goes with --load"),
        (["--keep"], "--keep keeps a sandbox session's folder"),
    ],
    ids=["load-with-sandbox-url", "unread-without-load", "negative-unread", "keep-without-sandbox"],
)
def test_options_that_do_not_go_together_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], problem: str
) -> None:
    status = cli.main(["serve", *argv])

    [line] = capsys.readouterr().err.splitlines()
    assert status == 2
    assert line.startswith(f"gmail-mcp: {problem}")


# -- help, and python -m ------------------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_every_option_of_every_command_has_help() -> None:
    parsers = {f"gmail-mcp {name}": sub for name, sub in subcommands(cli.build_parser()).items()}
    parsers["gmail-mcp sandbox"] = sandbox_cli.parser()  # the options `gmail-mcp sandbox` passes on
    missing = [
        f"{name} {'/'.join(action.option_strings)}"
        for name, parser in parsers.items()
        for action in parser._actions
        if action.option_strings and not (action.help or "").strip()
    ]
    assert missing == []


def test_python_dash_m_is_the_gmail_mcp_command_and_the_sandbox_shows_its_own_options(tmp_path: Path) -> None:
    env = person_env(tmp_path)
    top = subprocess.run([*CLI, "--help"], env=env, capture_output=True, text=True, timeout=60)
    sandbox = subprocess.run([*CLI, "sandbox", "--help"], env=env, capture_output=True, text=True, timeout=60)
    wrong = subprocess.run(
        [*CLI, "serve", "--no-such-option"], env=env, capture_output=True, text=True, timeout=60
    )

    assert top.returncode == 0 and top.stdout.startswith("usage: gmail-mcp ")
    assert sandbox.returncode == 0 and sandbox.stdout.startswith("usage: gmail-mcp sandbox ")
    assert re.search(r"--latency-ms LATENCY_MS\s+delay every HTTP request", sandbox.stdout)
    assert wrong.returncode == 2 and "unrecognized arguments: --no-such-option" in wrong.stderr

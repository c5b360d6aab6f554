"""The command line's side of the sandbox: a built-in sandbox, a session's folders, rehearsed logins.

Like `cli`, this module knows the sandbox is not Gmail; nothing below the command line does.
A sandbox session keeps its audit log, outbox and downloads in a temporary folder of its own
(removed at the end unless kept), never with the real account's. A login rehearsed against a
sandbox (`gmail-mcp auth --sandbox-url URL`) lives in a profile of its own inside the config folder,
one per sandbox URL, never in the real login's file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gmail_mcp.config import SANDBOX_LOAD_UNREAD, Paths, Settings

SANDBOX_DOMAIN = "example.com"  # `serve --sandbox --account A --account B`: B's mail is B@example.com's
_MAX_CLIENT_FILE = 64 * 1024  # an OAuth client file is under 1 KB; whatever answers is not trusted
_BACKLOG = 1024  # as the sandbox's own: a burst of connections is never dropped


class CommandError(Exception):
    """A command cannot do what was asked; the message is one line for a person."""


class BuiltinSandbox:
    """A sandbox Gmail in this process: its URL at once, the sandbox itself from `ready()` on.

    Importing the sandbox and building the demo mailbox takes about as long as a fifth of the
    server's own start, and `tools/list` needs neither: the port is bound at start (so the URL is
    known and connections wait in its backlog) and the rest is done on first use of the mailbox.
    """

    def __init__(
        self, quota_per_minute: int | None, quota_costs: str, more_users: Sequence[str] = ()
    ) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=_BACKLOG)
        host, port = self._listener.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        self._options: dict[str, Any] = {"quota_per_minute": quota_per_minute, "quota_costs": quota_costs}
        self._more_users = tuple(more_users)  # served accounts after the first: a small mailbox each
        self._server: Any = None
        self._closed = False
        self._lock = threading.Lock()

    def ready(self) -> None:
        """Build the demo mailbox and start serving it, once (thread-safe)."""
        with self._lock:
            if self._server is not None or self._closed:
                return
            from gmail_mcp.sandbox import Mailbox, SandboxServer

            others = [Mailbox.seeded(owner=address, small=True) for address in self._more_users]
            server = SandboxServer(Mailbox.seeded(), listener=self._listener, others=others, **self._options)
            if self._closed:  # the session ended while the mailbox was being built
                self._listener.close()
                return
            self._server = server.start()

    def close(self) -> None:
        """Stop serving, or give up the port; never waits for a mailbox being built (`ready` then
        sees the session is over and starts nothing)."""
        self._closed = True
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._server is not None:
                self._server.stop()
            else:
                self._listener.close()
        finally:
            self._lock.release()


@contextlib.contextmanager
def builtin_sandbox(
    load: Path | None,
    unread: int | None,
    quota_per_minute: int | None,
    quota_costs: str,
    *,
    more_users: Sequence[str] = (),
) -> Iterator[tuple[str, Callable[[], None]]]:
    """A sandbox Gmail in this process, holding `load`'s mail or the demo mailbox, and a small
    mailbox for each of `more_users` (served accounts after the first); yields its URL and what to
    call before the first request to it (the mailboxes are built then; `load` is read at once, so
    a bad path fails at start with its report).

    Raises:
        CommandError: `load` cannot be loaded (one line saying why).
    """
    if load is None:
        sandbox = BuiltinSandbox(quota_per_minute, quota_costs, more_users)
        try:
            yield sandbox.url, sandbox.ready
        finally:
            sandbox.close()
        return
    from gmail_mcp.sandbox import LoadError, Mailbox, SandboxServer

    # Only that mail: a copy of one's own, to try an agent on.
    mailbox = Mailbox()
    try:
        report = mailbox.load(load, unread=SANDBOX_LOAD_UNREAD if unread is None else unread)
    except LoadError as exc:
        raise CommandError(f"cannot load {exc}") from None
    for line in report.lines(load):
        print(f"gmail-mcp: {line}", file=sys.stderr)
    others = [Mailbox.seeded(owner=address, small=True) for address in more_users]
    with SandboxServer(
        mailbox, quota_per_minute=quota_per_minute, quota_costs=quota_costs, others=others
    ) as server:
        yield server.url, lambda: None


@contextlib.contextmanager
def sandbox_session(*, keep: bool = False) -> Iterator[Paths]:
    """Where a sandbox session keeps its audit log, outbox and downloads: apart from the real account's.

    A temporary folder, removed when the session ends unless `keep`; GMAIL_MCP_HOME when that is set.
    """
    if os.environ.get("GMAIL_MCP_HOME"):
        yield Paths.resolve()
        return
    home = tempfile.mkdtemp(prefix="gmail-mcp-sandbox-")
    paths = Paths.resolve({"GMAIL_MCP_HOME": home})
    for folder in (paths.outbox, paths.downloads):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ending = "kept after the session (--keep)" if keep else "removed when the session ends"
    print(f"gmail-mcp: sandbox session folder {home} ({ending})", file=sys.stderr)
    try:
        yield paths
    finally:
        if keep:
            print(f"gmail-mcp: the session folder is kept at {home}", file=sys.stderr)
        else:
            shutil.rmtree(home, ignore_errors=True)


def say_where(settings: Settings) -> None:
    """Print where a session's attachments may come from and its downloads may go (its jails)."""
    attach = ", ".join(str(folder) for folder in settings.attachment_dirs)
    downloads = ", ".join(str(folder) for folder in settings.download_dirs)
    print(f"gmail-mcp: attachments may come from {attach}; downloads may go to {downloads}", file=sys.stderr)


def sandbox_root(url: str) -> str:
    """`url` as scheme://host:port, the root of a sandbox's Gmail paths.

    Raises:
        CommandError: not an http(s) URL with a host.
    """
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise CommandError(f"{url} is not a sandbox URL: give one like http://127.0.0.1:8025")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def fetch_sandbox_client(root: str, path: Path) -> Path:
    """Save the sandbox's OAuth client (GET /__sandbox/oauth-client) at `path`, as Google Cloud's download would be.

    Raises:
        CommandError: no sandbox answers at `root`, or its client would send the login elsewhere.
    """
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(root + "/__sandbox/oauth-client", timeout=10) as answer:
            body = answer.read(_MAX_CLIENT_FILE + 1)
        if len(body) > _MAX_CLIENT_FILE:
            raise ValueError("its answer is far larger than an OAuth client file")
        config = json.loads(body)
        client = config["installed"]
        endpoints = (client["auth_uri"], client["token_uri"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(
            f"no gmail-mcp sandbox answered at {root} ({exc}): start one with `gmail-mcp sandbox`"
        ) from None
    if not all(isinstance(url, str) and url.startswith(root + "/") for url in endpoints):
        raise CommandError(f"the sandbox at {root} offered an OAuth client for another server: refused")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2), "utf-8")
    return path

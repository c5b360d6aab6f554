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
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from gmail_mcp.config import SANDBOX_LOAD_UNREAD, Paths, Settings

_MAX_CLIENT_FILE = 64 * 1024  # an OAuth client file is under 1 KB; whatever answers is not trusted


class CommandError(Exception):
    """A command cannot do what was asked; the message is one line for a person."""


@contextlib.contextmanager
def builtin_sandbox(
    load: Path | None, unread: int | None, quota_per_minute: int | None, quota_costs: str
) -> Iterator[str]:
    """A sandbox Gmail in this process, holding `load`'s mail or the demo mailbox; yields its URL.

    Raises:
        CommandError: `load` cannot be loaded (one line saying why).
    """
    from gmail_mcp.sandbox import LoadError, Mailbox, SandboxServer

    if load is None:
        mailbox = Mailbox.seeded()
    else:
        # Only that mail: a copy of one's own, to try an agent on.
        mailbox = Mailbox()
        try:
            report = mailbox.load(load, unread=SANDBOX_LOAD_UNREAD if unread is None else unread)
        except LoadError as exc:
            raise CommandError(f"cannot load {exc}") from None
        for line in report.lines(load):
            print(f"gmail-mcp: {line}", file=sys.stderr)
    with SandboxServer(mailbox, quota_per_minute=quota_per_minute, quota_costs=quota_costs) as server:
        yield server.url


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

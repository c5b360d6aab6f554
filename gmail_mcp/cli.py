"""gmail-mcp auth | serve | sandbox | status | demo.

The only module (besides tests) that knows whether Gmail is real or the sandbox. Heavy imports
(the Google client, the sandbox) happen inside the commands that need them, so the server starts
fast. Messages for people go to stderr: stdout may carry the MCP stdio protocol.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gmail_mcp import __version__
from gmail_mcp.config import (
    DEFAULT_MAX_WAIT,
    DEFAULT_QUOTA_COSTS,
    GMAIL_WEB_URL,
    Paths,
    Settings,
    api_root,
    env_flag,
)
from gmail_mcp.errors import GmailMcpError
from gmail_mcp.gmail.quota import PROFILES

logger = logging.getLogger("gmail_mcp")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args) or 0)
    except GmailMcpError as exc:
        print(f"gmail-mcp: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gmail-mcp", description="A fast, complete and safe Gmail MCP server."
    )
    parser.add_argument("--version", action="version", version=f"gmail-mcp {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    auth = commands.add_parser("auth", help="log in to Gmail once and store the token")
    auth.add_argument(
        "--credentials", type=Path, help="OAuth client file (default: credentials.json in the config folder)"
    )
    auth.add_argument("--read-only", action="store_true", help="ask only for gmail.readonly")
    auth.add_argument("--tools", help="comma-separated tools to authorise for (default: all)")
    auth.add_argument("--no-browser", action="store_true", help="print the sign-in URL instead of opening it")
    auth.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for the sign-in (default 300)"
    )
    auth.set_defaults(run=run_auth)

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--enhanced", action="store_true", default=env_flag("GMAIL_MCP_ENHANCED"))
    serve.add_argument("--read-only", action="store_true", help="only tools that change nothing")
    serve.add_argument("--tools", help="comma-separated subset of tools to expose")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP transport address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP transport port (default 8000)")
    where = serve.add_mutually_exclusive_group()
    where.add_argument(
        "--sandbox", action="store_true", help="use a built-in sandbox mailbox (no Google account)"
    )
    where.add_argument("--sandbox-url", help="use a sandbox started with `gmail-mcp sandbox`")
    serve.add_argument(
        "--load", type=Path, help="with --sandbox: load an .eml file, a folder of them, or an mbox"
    )
    serve.add_argument("--confirm-send", action="store_true", help="ask the person before every send")
    serve.add_argument(
        "--attach-dir",
        action="append",
        type=Path,
        default=[],
        help="folder attachments may come from (repeatable)",
    )
    serve.add_argument(
        "--download-dir",
        action="append",
        type=Path,
        default=[],
        help="folder downloads may go to (repeatable)",
    )
    serve.add_argument(
        "--allow-recipient", action="append", default=[], help="address or domain mail may go to (repeatable)"
    )
    add_quota_options(serve, pacing=True)
    serve.add_argument("--no-open-browser", action="store_true", help="opening an email only returns its URL")
    serve.add_argument("--verbose", action="store_true")
    serve.set_defaults(run=run_serve)

    sandbox = commands.add_parser("sandbox", help="run the sandbox Gmail as a standalone HTTP server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8025)
    sandbox.add_argument("--load", type=Path)
    sandbox.add_argument("--latency-ms", type=float, default=0)
    add_quota_options(sandbox, pacing=False)
    sandbox.set_defaults(run=run_sandbox)

    status = commands.add_parser("status", help="show the account, scopes and token file")
    status.set_defaults(run=run_status)

    demo = commands.add_parser("demo", help="a short guided session against the sandbox")
    demo.set_defaults(run=run_demo)
    return parser


def add_quota_options(parser: argparse.ArgumentParser, *, pacing: bool) -> None:
    """--quota-costs and --quota-per-minute (and, for the server, --max-wait)."""
    who = "pace to" if pacing else "charge"
    parser.add_argument(
        "--quota-costs",
        choices=PROFILES,
        default=DEFAULT_QUOTA_COSTS,
        help=(
            f"which of Google's per-method quota tables to {who} (default %(default)s): 2026 for Cloud "
            "projects created since 2026-05-01 (6,000 units per user per minute; messages.get 20 units), "
            "legacy for projects that used the Gmail API before (15,000 per minute; messages.get 5)"
        ),
    )
    parser.add_argument(
        "--quota-per-minute",
        type=_positive_int if pacing else int,
        metavar="U",
        help=(
            "per-user quota units per minute (default: 6,000 with 2026 costs, 15,000 with legacy)"
            + (
                "; pacing also adapts below it when Gmail refuses for rate"
                if pacing
                else "; 0: no limit. Over it the sandbox answers Gmail's 403 userRateLimitExceeded"
            )
        ),
    )
    if pacing:
        parser.add_argument(
            "--max-wait",
            type=_non_negative_seconds,
            default=DEFAULT_MAX_WAIT,
            metavar="S",
            help=(
                "seconds a call may wait for its quota turn or a retry (default %(default)g); a call "
                "that would wait longer fails at once with QUOTA_EXCEEDED and retry_after"
            ),
        )


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def _non_negative_seconds(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more, not {text}")
    return value


# -- serve ------------------------------------------------------------------------------------


def settings_from(
    args: argparse.Namespace, api_root: str, mail_url: str, paths: Paths | None = None
) -> Settings:
    return Settings.create(
        paths=paths,
        enhanced=args.enhanced,
        read_only=args.read_only,
        tools=frozenset(_split(args.tools)) if args.tools else None,
        api_root=api_root,
        mail_url_template=mail_url,
        quota_costs=args.quota_costs,
        quota_per_minute=args.quota_per_minute,
        max_wait=args.max_wait,
        attachment_dirs=tuple(args.attach_dir),
        download_dirs=tuple(args.download_dir),
        allowed_recipients=tuple(args.allow_recipient),
        confirm_send=args.confirm_send,
        open_browser=not args.no_open_browser,
    )


def run_serve(args: argparse.Namespace) -> int:
    sandbox_server = None
    if args.load and not args.sandbox:
        raise SystemExit("gmail-mcp serve: --load needs --sandbox")
    if args.sandbox:
        from gmail_mcp.sandbox import Mailbox, SandboxServer

        # With --load, the mailbox holds only that mail: a copy of one's own, to try an agent on.
        mailbox = Mailbox() if args.load else Mailbox.seeded()
        if args.load:
            count = mailbox.load(args.load)
            print(f"gmail-mcp: loaded {count} messages from {args.load}", file=sys.stderr)
        sandbox_server = SandboxServer(
            mailbox, quota_per_minute=args.quota_per_minute, quota_costs=args.quota_costs
        ).start()
        sandbox_url: str | None = sandbox_server.url
    else:
        sandbox_url = args.sandbox_url
    if sandbox_url:
        root = sandbox_url.rstrip("/") + "/"
        settings = settings_from(args, root, root + "mail/{id}", paths=sandbox_paths())
        backend = sandbox_backend(settings)
    else:
        settings = settings_from(args, api_root(), GMAIL_WEB_URL)
        backend = gmail_backend(settings)
    server = make_server(settings, backend)
    try:
        if args.transport == "stdio":
            server.run("stdio")
        else:
            from gmail_mcp.surface.http import serve_http

            serve_http(server, host=args.host, port=args.port, token=os.environ.get("GMAIL_MCP_HTTP_TOKEN"))
    finally:
        if sandbox_server is not None:
            sandbox_server.stop()
    return 0


def make_server(settings: Settings, backend_factory: Callable[[], Any], **app_options: Any) -> Any:
    """The MCP server for `settings` over the backend `backend_factory` makes on first use."""
    from gmail_mcp.actions.account import Account
    from gmail_mcp.server import build_server, select_tools
    from gmail_mcp.surface.app import App

    app = App(
        settings=settings,
        account=Account(settings, backend_factory),
        opener=app_options.pop("opener", open_in_browser),
    )
    if settings.enhanced:
        from gmail_mcp.server_enhanced import build_enhanced_server

        server = build_enhanced_server(app)
    else:
        server = build_server(app)
    select_tools(server, settings)
    return server


def sandbox_paths() -> Paths:
    """Where a sandbox session keeps its audit log and downloads: apart from the real account's."""
    if os.environ.get("GMAIL_MCP_HOME"):
        return Paths.resolve()
    import tempfile

    return Paths.resolve({"GMAIL_MCP_HOME": tempfile.mkdtemp(prefix="gmail-mcp-sandbox-")})


def gmail_backend(settings: Settings) -> Callable[[], Any]:
    def create() -> Any:
        from gmail_mcp.gmail.auth import TokenStore

        return _client(settings, TokenStore(settings.paths.token).load())

    return create


def sandbox_backend(settings: Settings) -> Callable[[], Any]:
    def create() -> Any:
        from google.oauth2.credentials import Credentials

        # The sandbox accepts any bearer token it did not issue itself.
        return _client(settings, Credentials(token="sandbox"))

    return create


def _client(settings: Settings, credentials: Any) -> Any:
    from gmail_mcp.common.pacing import QuotaLimiter
    from gmail_mcp.common.retry import Backoff
    from gmail_mcp.gmail.client import GmailClient
    from gmail_mcp.gmail.quota import CostProfile
    from gmail_mcp.gmail.transport import authorized_http_factory

    costs = CostProfile.named(settings.quota_costs)
    return GmailClient(
        authorized_http_factory(credentials),
        api_root=settings.api_root,
        costs=costs,
        backoff=Backoff(max_wait=settings.max_wait),
        limiter=QuotaLimiter(settings.quota_per_minute or costs.per_minute, max_wait=settings.max_wait),
    )


def open_in_browser(url: str) -> bool:
    """Open `url` in this machine's browser from a child process whose output goes nowhere.

    A text-mode browser writing to our stdout would corrupt the stdio protocol.
    """
    import subprocess

    try:
        subprocess.Popen(
            [sys.executable, "-m", "webbrowser", "-t", url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    return True


# -- sandbox, auth, status, demo ------------------------------------------------------------


def run_sandbox(args: argparse.Namespace) -> int:
    from gmail_mcp.sandbox import main as sandbox_main

    argv = ["--host", args.host, "--port", str(args.port), "--latency-ms", str(args.latency_ms)]
    argv += ["--quota-costs", args.quota_costs]
    if args.quota_per_minute is not None:
        argv += ["--quota-per-minute", str(args.quota_per_minute)]
    if args.load:
        argv += ["--load", str(args.load)]
    return sandbox_main(argv)


def run_auth(args: argparse.Namespace) -> int:
    from gmail_mcp.gmail import scopes
    from gmail_mcp.gmail.auth import TokenStore, login
    from gmail_mcp.surface.registry import all_specs

    paths = Paths.resolve()
    tool_scopes: dict[str, frozenset[str]] = {spec.name: spec.scopes for spec in all_specs()}
    wanted = _split(args.tools) if args.tools else list(tool_scopes)
    unknown = sorted(set(wanted) - set(tool_scopes))
    if unknown:
        raise SystemExit(f"gmail-mcp auth: unknown tools {', '.join(unknown)}")
    needed = set().union(*(tool_scopes[t] for t in wanted))
    if args.read_only:
        needed = {scopes.READONLY}
    granted = scopes.least_covering(needed)
    store = TokenStore(paths.token)
    try:
        login(
            args.credentials or paths.credentials,
            store,
            granted,
            open_browser=not args.no_browser,
            timeout_seconds=args.timeout,
        )
    except GmailMcpError as exc:
        from gmail_mcp.actions.audit import AuditLog

        AuditLog(paths.audit_log).record("auth", "failed", error_code=exc.code, reason=exc.message)
        raise
    names = ", ".join(scopes.short_name(s) for s in granted)
    print(f"gmail-mcp: signed in ({names}); the login is saved at {store.path}", file=sys.stderr)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from gmail_mcp.gmail.status import report

    return report(Paths.resolve(), out=sys.stdout, api_root=api_root())


def run_demo(args: argparse.Namespace) -> int:
    from gmail_mcp.surface.demo import run

    return run(out=sys.stdout)


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


if __name__ == "__main__":
    raise SystemExit(main())

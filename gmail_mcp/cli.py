"""gmail-mcp auth | serve | sandbox | status | demo | bench.

The only module (besides tests) that knows whether Gmail is real or the sandbox. Heavy imports
(the Google client, the sandbox) happen inside the commands that need them, so the server starts
fast. Messages for people go to stderr: stdout may carry the MCP stdio protocol.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from gmail_mcp import __version__
from gmail_mcp.cli_sandbox import (
    CommandError,
    builtin_sandbox,
    fetch_sandbox_client,
    sandbox_root,
    sandbox_session,
    say_where,
)
from gmail_mcp.config import (
    DEFAULT_ACCOUNT,
    DEFAULT_MAX_WAIT,
    DEFAULT_QUOTA_COSTS,
    GMAIL_WEB_URL,
    SANDBOX_LOAD_UNREAD,
    Paths,
    Settings,
    api_root,
    env_flag,
)
from gmail_mcp.errors import GmailMcpError
from gmail_mcp.gmail.quota import PROFILES

logger = logging.getLogger("gmail_mcp")

TTY_HINT = (
    "gmail-mcp: this is an MCP server; it waits for an MCP client (Claude, Cursor, VS Code) on stdin. "
    "To watch it at work, run `gmail-mcp demo` instead. Ctrl-C stops it."
)


class Stopped(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that every `finally` on the way out runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "forward", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        with _sigterm_stops():
            return int(args.run(args) or 0)
    except (GmailMcpError, CommandError) as exc:
        print(f"gmail-mcp: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except Stopped as stop:
        return 128 + stop.signum


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C (cleaning up on the way) instead of ending the process on the spot."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gmail-mcp", description="A fast, complete and safe Gmail MCP server."
    )
    parser.add_argument("--version", action="version", version=f"gmail-mcp {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    sandbox_url_help = "a sandbox started with `gmail-mcp sandbox`, e.g. http://127.0.0.1:8025"

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
    auth.add_argument(
        "--sandbox-url",
        metavar="URL",
        help=f"rehearse the login against {sandbox_url_help}: its OAuth client, and a token kept apart "
        "from the real login",
    )
    auth.add_argument(
        "--account",
        default=DEFAULT_ACCOUNT,
        help="with --imap: the name this login is stored under (default: default)",
    )
    imap = auth.add_argument_group("IMAP login (an app password; no Google Cloud project needed)")
    imap.add_argument("--imap", action="store_true", help="log in to IMAP and SMTP with an app password")
    imap.add_argument("--email", help="the account's address (or GMAIL_MCP_IMAP_USER; asked if missing)")
    imap.add_argument(
        "--xoauth2",
        action="store_true",
        help="with --imap: use the OAuth login (https://mail.google.com/) instead",
    )
    _imap_server_options(imap)
    auth.set_defaults(run=run_auth)

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument(
        "--enhanced",
        action="store_true",
        default=env_flag("GMAIL_MCP_ENHANCED"),
        help="add the enhanced tools (threads, labels, attachments, drafts); also GMAIL_MCP_ENHANCED=1",
    )
    serve.add_argument("--read-only", action="store_true", help="only tools that change nothing")
    serve.add_argument("--tools", help="comma-separated subset of tools to expose")
    serve.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default="stdio",
        help="stdio (default: how MCP clients start a server) or streamable HTTP at /mcp",
    )
    serve.add_argument("--host", default="127.0.0.1", help="HTTP transport address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP transport port (default 8000)")
    serve.add_argument(
        "--http-no-auth",
        action="store_true",
        help="HTTP without the bearer token, on 127.0.0.1 only (for tests: any local program gets your mail)",
    )
    where = serve.add_mutually_exclusive_group()
    where.add_argument(
        "--sandbox", action="store_true", help="use a built-in sandbox mailbox (no Google account)"
    )
    where.add_argument(
        "--sandbox-url",
        metavar="URL",
        help=f"use {sandbox_url_help} (with the login of `gmail-mcp auth --sandbox-url URL`, if any)",
    )
    serve.add_argument(
        "--load",
        type=Path,
        metavar="PATH",
        help="a built-in sandbox holding this mail: an .eml file, a folder of them, or an mbox "
        "(implies --sandbox)",
    )
    serve.add_argument(
        "--unread",
        type=int,
        metavar="N",
        help=f"with --load: leave the N newest messages unread (default {SANDBOX_LOAD_UNREAD}); "
        "Takeout's own labels decide for the mail that has them",
    )
    serve.add_argument(
        "--keep",
        action="store_true",
        help="keep the sandbox session's folder (audit log, outbox, downloads) after the server stops",
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
    serve.add_argument(
        "--backend",
        choices=["api", "imap"],
        default="api",
        help="the Gmail REST API with OAuth (default), or IMAP and SMTP (`gmail-mcp auth --imap` first)",
    )
    _imap_server_options(serve.add_argument_group("IMAP backend"))
    serve.add_argument(
        "--verbose", action="store_true", help="log debug detail to stderr (stdout carries the protocol)"
    )
    serve.set_defaults(run=run_serve)

    # The sandbox declares its own options (gmail_mcp.sandbox.cli), help included: they are passed on.
    sandbox = commands.add_parser(
        "sandbox",
        help="run the sandbox Gmail as a standalone HTTP server (`gmail-mcp sandbox --help` for options)",
        add_help=False,
    )
    sandbox.set_defaults(run=run_sandbox, forward=True)

    status = commands.add_parser("status", help="show the account, scopes and token file")
    status.add_argument(
        "--sandbox-url", metavar="URL", help="the login rehearsed with `gmail-mcp auth --sandbox-url URL`"
    )
    status.set_defaults(run=run_status)

    demo = commands.add_parser("demo", help="a short guided session against the sandbox")
    demo.set_defaults(run=run_demo)

    bench = commands.add_parser(
        "bench",
        help="measure requests, quota units, bytes and timings against the sandbox",
        description="Starts the sandbox and `gmail-mcp serve` as subprocesses and measures each tool "
        "through the official MCP client: requests, quota units, result bytes, cold and warm time as "
        "a ratio to the floor (two sequential round trips), and start-up against a bare MCPServer.",
    )
    bench.add_argument(
        "--quick",
        action="store_true",
        help="counts and bytes only, checked against the expectations file; non-zero on a regression (CI)",
    )
    bench.add_argument(
        "--update", action="store_true", help="with --quick: record the measured figures as the expectations"
    )
    bench.add_argument(
        "--expected",
        type=Path,
        default=Path("benchmarks/expected.json"),
        metavar="PATH",
        help="the expectations file (default benchmarks/expected.json)",
    )
    bench.add_argument(
        "--latency-ms",
        type=float,
        default=50,
        metavar="L",
        help="the sandbox's delay per HTTP request in ms (default 50)",
    )
    bench.add_argument(
        "--runs", type=int, default=10, metavar="N", help="warm calls per operation (default 10)"
    )
    bench.add_argument(
        "--cold-runs",
        type=int,
        default=3,
        metavar="N",
        help="fresh servers per operation for the cold call (default 3)",
    )
    bench.add_argument(
        "--startup-runs",
        type=int,
        default=7,
        metavar="N",
        help="interleaved starts per server variant (default 7)",
    )
    bench.add_argument("--no-startup", action="store_true", help="skip the start-up and memory figures")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    bench.add_argument("--out", type=Path, metavar="PATH", help="also write the figures as JSON to this file")
    bench.set_defaults(run=run_bench)
    return parser


def _imap_server_options(group: Any) -> None:
    group.add_argument("--imap-host", help="IMAP server (default: imap.gmail.com, or the one logged in to)")
    group.add_argument("--imap-port", type=int, help="IMAP port, TLS (default 993)")
    group.add_argument("--smtp-host", help="SMTP server (default: smtp.gmail.com)")
    group.add_argument("--smtp-port", type=int, help="SMTP port: 465 implicit TLS (default), else STARTTLS")
    group.add_argument(
        "--ca-file", type=Path, help="also trust this CA certificate (a test server); TLS is never turned off"
    )


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
    args: argparse.Namespace,
    api_root: str,
    mail_url: str,
    paths: Paths | None = None,
    granted_scopes: frozenset[str] | None = None,
    features: frozenset[str] | None = None,
) -> Settings:
    return Settings.create(
        features=features,
        paths=paths,
        enhanced=args.enhanced,
        read_only=args.read_only,
        tools=frozenset(_split(args.tools)) if args.tools else None,
        granted_scopes=granted_scopes,
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
    if args.backend == "imap" and (args.sandbox or args.sandbox_url or args.load is not None):
        raise CommandError("the sandbox speaks the REST API: use it with --backend api (the default)")
    if args.load is not None and args.sandbox_url:
        raise CommandError(
            "--load fills a built-in sandbox; to load mail into a separate one, use `gmail-mcp sandbox --load`"
        )
    if args.unread is not None and (args.load is None or args.unread < 0):
        raise CommandError("--unread takes a number of 0 or more, and goes with --load")
    in_process = args.sandbox or args.load is not None
    if args.keep and not (in_process or args.sandbox_url):
        raise CommandError("--keep keeps a sandbox session's folder: it goes with --sandbox or --sandbox-url")
    if args.transport == "stdio" and sys.stdin is not None and sys.stdin.isatty():
        # A person, not an MCP client, started this: say so before the slower part of the start.
        print(TTY_HINT, file=sys.stderr, flush=True)
    if args.backend == "imap":
        settings, backend = imap_settings_and_backend(args)
        return _serve(args, settings, make_server(settings, backend))
    with contextlib.ExitStack() as stack:
        sandbox_url: str | None = args.sandbox_url
        login, granted = None, None
        if in_process:
            sandbox_url = stack.enter_context(
                builtin_sandbox(args.load, args.unread, args.quota_per_minute, args.quota_costs)
            )
        elif sandbox_url:
            sandbox_url = sandbox_root(sandbox_url)
            profile = Paths.resolve().sandbox_profile(sandbox_url)
            login, granted = profile.token, granted_scopes(profile)
        if sandbox_url:
            root = sandbox_url + "/"
            paths = stack.enter_context(sandbox_session(keep=args.keep))
            settings = settings_from(args, root, root + "mail/{id}", paths, granted)
            say_where(settings)
            backend = sandbox_backend(settings, login)
        else:
            real = Paths.resolve()
            settings = settings_from(args, api_root(), GMAIL_WEB_URL, real, granted_scopes(real))
            backend = gmail_backend(settings)
        return _serve(args, settings, make_server(settings, backend))


def _serve(args: argparse.Namespace, settings: Settings, server: Any) -> int:
    """Run `server` on the chosen transport (both backends); the exit status (128+signal if stopped)."""
    try:
        return _run_transport(args, settings, server)
    finally:
        server.app.account.close()


def _run_transport(args: argparse.Namespace, settings: Settings, server: Any) -> int:
    if args.transport == "http":
        from gmail_mcp.surface import http_token
        from gmail_mcp.surface.http import serve_http

        auth = http_token.resolve(
            host=args.host,
            no_auth=args.http_no_auth,
            configured=os.environ.get(http_token.ENV),
            token_file=settings.paths.http_token,
        )
        auth.announce()
        serve_http(server, host=args.host, port=args.port, token=auth.token)
        return 0
    from gmail_mcp.surface.stdio import serve_stdio

    stopped_by = serve_stdio(server)
    return 0 if stopped_by is None else 128 + stopped_by


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
    hidden = select_tools(server, settings)
    if hidden:
        from gmail_mcp.gmail import scopes

        lacking = sorted({scopes.short_name(s) for needed in hidden.values() for s in needed})
        logger.warning(
            "The saved login does not grant %s, so these tools are hidden: %s. Run `gmail-mcp auth` "
            "and grant every permission to use them.",
            ", ".join(lacking),
            ", ".join(sorted(hidden)),
        )
    return server


def granted_scopes(paths: Paths) -> frozenset[str] | None:
    """The scopes the saved login grants (read without loading the Google client), or None when
    there is no readable login yet (the first tool call then says how to log in)."""
    from gmail_mcp.common.secretfile import SecretFile

    try:
        saved = SecretFile(paths.token).read().get("scopes")
    except GmailMcpError:
        return None
    if not isinstance(saved, list) or not all(isinstance(s, str) for s in saved):
        return None
    return frozenset(saved)


def gmail_backend(settings: Settings) -> Callable[[], Any]:
    def create() -> Any:
        from gmail_mcp.gmail.auth import TokenStore

        return _client(settings, TokenStore(settings.paths.token).load())

    return create


def sandbox_backend(settings: Settings, login: Path | None = None) -> Callable[[], Any]:
    """A client on the sandbox: with the login rehearsed against it when there is one."""
    if login is not None and login.exists():
        print(f"gmail-mcp: using the sandbox login at {login}", file=sys.stderr)

    def create() -> Any:
        from google.oauth2.credentials import Credentials

        from gmail_mcp.gmail.auth import TokenStore

        if login is not None and login.exists():
            store = TokenStore(login)
            store.login_command = f"gmail-mcp auth --sandbox-url {settings.api_root.rstrip('/')}"
            return _client(settings, store.load())
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


def imap_settings_and_backend(args: argparse.Namespace) -> tuple[Settings, Callable[[], Any]]:
    """Settings and backend factory for `serve --backend imap` (the login is read on first use)."""
    from gmail_mcp.imap import features
    from gmail_mcp.imap.credentials import LoginStore

    paths = Paths.resolve()
    store = LoginStore(paths)
    stored = store.load() if store.exists() else None
    host = args.imap_host or (stored.imap_host if stored else None) or "imap.gmail.com"
    settings = settings_from(args, api_root(), GMAIL_WEB_URL, paths=paths, features=features(host))

    def create() -> Any:
        from gmail_mcp.imap import connect
        from gmail_mcp.imap.login import login_for, servers_for

        login, recorded = login_for(
            store, os.environ, oauth_token=lambda record: oauth_access_token(paths.imap_token(store.account))
        )
        servers = servers_for(
            recorded,
            imap_host=args.imap_host,
            imap_port=args.imap_port,
            smtp_host=args.smtp_host,
            smtp_port=args.smtp_port,
            ca_file=args.ca_file,
        )
        return connect.backend(servers, login)

    return settings, create


def oauth_access_token(token_path: Path) -> Callable[[], str]:
    """A fresh OAuth access token from a saved login on each call (for IMAP and SMTP XOAUTH2)."""

    def token() -> str:
        import google_auth_httplib2
        import httplib2

        from gmail_mcp.gmail.auth import TokenStore

        credentials = TokenStore(token_path).load()
        if not credentials.valid:
            http = httplib2.Http(timeout=30)
            try:
                credentials.refresh(google_auth_httplib2.Request(http))
            finally:
                http.close()
        return str(credentials.token)

    return token


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
    """`gmail-mcp sandbox ...`: the sandbox's own command line (its --help lists every option)."""
    from gmail_mcp.sandbox import main as sandbox_main

    return sandbox_main(list(args.extra))


def run_auth(args: argparse.Namespace) -> int:
    if args.imap:
        return run_auth_imap(args)
    if args.account != DEFAULT_ACCOUNT:
        raise SystemExit("gmail-mcp auth: --account names IMAP logins for now; use it with --imap")
    from gmail_mcp.gmail import scopes
    from gmail_mcp.gmail.auth import TokenStore, login
    from gmail_mcp.surface.registry import all_specs

    paths = Paths.resolve()
    credentials = args.credentials or paths.credentials
    if args.sandbox_url:
        if args.credentials:
            raise CommandError("--sandbox-url brings the sandbox's own OAuth client: leave out --credentials")
        root = sandbox_root(args.sandbox_url)
        paths = paths.sandbox_profile(root)  # never the real login's file
        credentials = fetch_sandbox_client(root, paths.credentials)
    tool_scopes: dict[str, frozenset[str]] = {spec.name: spec.scopes for spec in all_specs()}
    wanted = _split(args.tools) if args.tools else list(tool_scopes)
    unknown = sorted(set(wanted) - set(tool_scopes))
    if unknown:
        raise SystemExit(f"gmail-mcp auth: unknown tools {', '.join(unknown)}")
    needed = set().union(*(tool_scopes[t] for t in wanted))
    if args.read_only:
        needed = {scopes.READONLY}
    requested = scopes.least_covering(needed)
    store = TokenStore(paths.token)
    try:
        signed_in = login(
            credentials,
            store,
            requested,
            open_browser=not args.no_browser,
            timeout_seconds=args.timeout,
        )
    except GmailMcpError as exc:
        from gmail_mcp.actions.audit import AuditLog

        AuditLog(paths.audit_log).record("auth", "failed", error_code=exc.code, reason=exc.message)
        raise
    granted = list(signed_in.scopes or requested)
    names = ", ".join(scopes.short_name(s) for s in granted)
    print(f"gmail-mcp: signed in ({names}); the login is saved at {store.path}", file=sys.stderr)
    # Google lets a person untick permissions: name the tools asked for that now cannot work.
    asked_for = {t: tool_scopes[t] for t in wanted if not scopes.unusable({t: tool_scopes[t]}, requested)}
    lacking = scopes.unusable(asked_for, granted)
    if lacking:
        missing = sorted({scopes.short_name(s) for needed in lacking.values() for s in needed})
        print(
            f"gmail-mcp: you did not grant {', '.join(missing)}, so these tools will not work and "
            f"`gmail-mcp serve` hides them: {', '.join(sorted(lacking))}. To use them, run "
            "`gmail-mcp auth` again and leave every permission ticked.",
            file=sys.stderr,
        )
    return 0


def run_auth_imap(args: argparse.Namespace) -> int:
    """`gmail-mcp auth --imap`: verify an app password (or an XOAUTH2 login) by logging in, then store it."""
    from gmail_mcp.actions.audit import AuditLog
    from gmail_mcp.imap.credentials import LoginStore
    from gmail_mcp.imap.login import (
        ask_address,
        ask_password,
        read_line,
        save_oauth_login,
        save_password_login,
        servers_for,
    )
    from gmail_mcp.imap.pool import OAuthLogin

    paths = Paths.resolve()
    store = LoginStore(paths, args.account)
    stored = store.load() if store.exists() else None
    servers = servers_for(
        stored,
        imap_host=args.imap_host,
        imap_port=args.imap_port,
        smtp_host=args.smtp_host,
        smtp_port=args.smtp_port,
        ca_file=args.ca_file,
    )
    try:
        user = ask_address(args.email, os.environ, out=sys.stderr, read=read_line)
        if args.xoauth2:
            from gmail_mcp.gmail import scopes
            from gmail_mcp.gmail.auth import TokenStore, login

            tokens = TokenStore(paths.imap_token(store.account))
            login(
                args.credentials or paths.credentials,
                tokens,
                [scopes.FULL],
                open_browser=not args.no_browser,
                timeout_seconds=args.timeout,
            )
            saved = save_oauth_login(store, servers, OAuthLogin(user, oauth_access_token(tokens.path)))
            where = f"the OAuth token at {tokens.path}"
        else:
            saved = save_password_login(store, servers, user, ask_password(os.environ, out=sys.stderr))
            where = (
                "the OS keyring" if saved.storage == "keyring" else f"{store.secret_file.path} (mode 0600)"
            )
    except GmailMcpError as exc:
        AuditLog(paths.audit_log).record(
            "auth", "failed", error_code=exc.code, reason=exc.message, method="imap", account=store.account
        )
        raise
    print(
        f"gmail-mcp: logged in to {servers.imap_host} as {saved.user}; the login is kept in {where}. "
        "Start the server with `gmail-mcp serve --backend imap`.",
        file=sys.stderr,
    )
    return 0


def run_status(args: argparse.Namespace) -> int:
    from gmail_mcp.gmail.status import report
    from gmail_mcp.imap.credentials import LoginStore
    from gmail_mcp.surface.registry import all_specs

    tool_scopes = {str(spec.name): spec.scopes for spec in all_specs()}
    if args.sandbox_url:
        root = sandbox_root(args.sandbox_url)
        paths = Paths.resolve().sandbox_profile(root)
        return report(
            paths,
            out=sys.stdout,
            api_root=root + "/",
            login_command=f"gmail-mcp auth --sandbox-url {root}",
            needs_client_file=False,  # the sandbox hands out its own
            tool_scopes=tool_scopes,
        )
    paths = Paths.resolve()
    code = 0
    imap_login = LoginStore(paths)
    if imap_login.exists():
        from gmail_mcp.imap.login import report as imap_report

        problems = imap_report(imap_login, out=sys.stdout)
        for problem in problems:
            print(f"problem:         {problem}", file=sys.stdout)
        print("imap status:     " + ("ok" if not problems else "NOT OK"), file=sys.stdout)
        code = 1 if problems else 0
        if not paths.token.exists():
            return code  # an IMAP-only setup: no OAuth token to report on
    return max(code, report(paths, out=sys.stdout, api_root=api_root(), tool_scopes=tool_scopes))


def run_demo(args: argparse.Namespace) -> int:
    from gmail_mcp.surface.demo import run

    return run(out=sys.stdout)


def run_bench(args: argparse.Namespace) -> int:
    from gmail_mcp.surface.bench.command import run
    from gmail_mcp.surface.bench.runner import Options

    if args.update and not args.quick:
        raise SystemExit("gmail-mcp bench: --update records the --quick figures; use both")
    if min(args.runs, args.cold_runs, args.startup_runs) < 1 or args.latency_ms < 0:
        raise SystemExit(
            "gmail-mcp bench: --runs, --cold-runs and --startup-runs need at least 1, --latency-ms 0 or more"
        )
    options = Options(
        latency_ms=args.latency_ms,
        runs=args.runs,
        cold_runs=args.cold_runs,
        startup_runs=args.startup_runs,
        startup=not args.no_startup,
    )
    return run(
        options,
        quick=args.quick,
        update=args.update,
        expected=args.expected,
        as_json=args.json,
        out_path=args.out,
        out=sys.stdout,
    )


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


if __name__ == "__main__":
    raise SystemExit(main())

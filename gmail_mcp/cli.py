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
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from gmail_mcp import __version__
from gmail_mcp.cli_sandbox import (
    SANDBOX_DOMAIN,
    CommandError,
    builtin_sandbox,
    fetch_sandbox_client,
    sandbox_root,
    sandbox_session,
    say_where,
)
from gmail_mcp.common import startup
from gmail_mcp.config import (
    ACCOUNT_NAME,
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
    auth.add_argument(
        "--tools",
        help="comma-separated tools or presets (triage, compose, admin) to authorise for (default: all)",
    )
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
        metavar="NAME",
        help="the name this login is stored under, for `serve --account NAME` (default: default)",
    )
    imap = auth.add_argument_group("IMAP login (an app password; no Google Cloud project needed)")
    imap.add_argument("--imap", action="store_true", help="log in to IMAP and SMTP with an app password")
    imap.add_argument(
        "--email",
        help="the account's address: with --imap the login (or GMAIL_MCP_IMAP_USER; asked if missing), "
        "else which Google account to sign in with (a hint to Google's account chooser)",
    )
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
    serve.add_argument(
        "--tools", help="comma-separated tools or presets (triage, compose, admin) to expose (default: all)"
    )
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
        "--account",
        action="append",
        metavar="NAME",
        help="serve this account (repeatable: several at once, the first the default; every tool then "
        "takes `account`); each logged in with `gmail-mcp auth --account NAME` (default: default)",
    )
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
    status.add_argument(
        "--account",
        default=DEFAULT_ACCOUNT,
        metavar="NAME",
        help="the login of this account (default: default)",
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
                "seconds a call may wait for its quota turn or a retry (default %(default)g; one "
                "cheaper than reading a message: 5 at most); a call that would wait longer fails at "
                "once with QUOTA_EXCEEDED and retry_after"
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
    # The collector waits while the SDK and our models load; the server's warm-up resumes it.
    startup.pause_collector()
    try:
        return _start_serving(args)
    finally:
        startup.resume_collector()


def _start_serving(args: argparse.Namespace) -> int:
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
    names = account_names(args.account)
    if args.backend == "imap":
        return _serve_accounts(args, [imap_settings_and_backend(args, name) for name in names])
    with contextlib.ExitStack() as stack:
        sandbox_url: str | None = args.sandbox_url
        served: list[tuple[Settings, Callable[[], Any]]] = []
        sandbox_ready: Callable[[], None] | None = None
        # The sandbox user each account acts as: the first user (None), or one more per account.
        users: list[str | None] = [None] * len(names)
        if in_process:
            users = [None, *(f"{name}@{SANDBOX_DOMAIN}" for name in names[1:])]
            sandbox_url, sandbox_ready = stack.enter_context(
                builtin_sandbox(
                    args.load,
                    args.unread,
                    args.quota_per_minute,
                    args.quota_costs,
                    more_users=[u for u in users if u is not None],
                )
            )
        elif sandbox_url:
            sandbox_url = sandbox_root(sandbox_url)
        if sandbox_url:
            root = sandbox_url + "/"
            session = stack.enter_context(sandbox_session(keep=args.keep))
            profile = None if in_process else Paths.resolve().sandbox_profile(sandbox_url)
            for index, (name, user) in enumerate(zip(names, users, strict=True)):
                login = profile.for_account(name) if profile is not None else None
                if login is not None and index > 0 and not login.token.exists():
                    raise CommandError(
                        f"account {name} has no login rehearsed against {sandbox_url}, so it would act as "
                        f"the sandbox's first user too: run `gmail-mcp auth --sandbox-url {sandbox_url} "
                        f"--account {name} --email ADDRESS` with one of its users first"
                    )
                granted = granted_scopes(login) if login is not None else None
                settings = settings_from(args, root, root + "mail/{id}", session.for_account(name), granted)
                served.append(
                    (
                        settings,
                        sandbox_backend(settings, login.token if login else None, user, before=sandbox_ready),
                    )
                )
            say_where(served[0][0])
        else:
            real = Paths.resolve()
            for name in names:
                paths = real.for_account(name)
                settings = settings_from(args, api_root(), GMAIL_WEB_URL, paths, granted_scopes(paths))
                served.append((settings, gmail_backend(settings)))
        load_client_code()
        return _serve_accounts(args, served)


def load_client_code() -> None:
    """Import the Google client code now, before the client's `initialize` is answered.

    A client calls a tool as soon as it may: the call would wait for these imports (about 40 ms
    of interpreter time), which no background thread can take off its path, as the warm-up's
    thread shares the interpreter with the call. Before the answer they cost the start a
    twentieth, which the listing built from `schemas.json` and the paused collector paid for.
    """
    import gmail_mcp.gmail.auth
    import gmail_mcp.gmail.client
    import gmail_mcp.gmail.transport  # noqa: F401


def account_names(given: Sequence[str] | None) -> list[str]:
    """The accounts `serve --account` names, in order (default: the one called "default").

    Raises:
        CommandError: a name that cannot be a file name, or one given twice.
    """
    names = list(given or [DEFAULT_ACCOUNT])
    for name in names:
        if not ACCOUNT_NAME.fullmatch(name):
            raise CommandError(f"--account {name!r}: an account name has letters, digits, '.', '_' or '-'")
    if len(set(names)) != len(names):
        raise CommandError("each --account may be given once")
    return names


def _serve_accounts(args: argparse.Namespace, served: Sequence[tuple[Settings, Callable[[], Any]]]) -> int:
    (settings, backend), *others = served
    return _serve(args, settings, make_server(settings, backend, others=others))


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


def make_server(
    settings: Settings,
    backend_factory: Callable[[], Any],
    *,
    others: Sequence[tuple[Settings, Callable[[], Any]]] = (),
    **app_options: Any,
) -> Any:
    """The MCP server for `settings` over the backend `backend_factory` makes on first use, and
    over more accounts when `others` are given (each its settings, whose `paths.account` names it,
    and its backend factory)."""
    from gmail_mcp.actions.account import Account
    from gmail_mcp.server import build_server, select_tools
    from gmail_mcp.surface.app import App

    accounts = [Account(settings, backend_factory), *(Account(s, factory) for s, factory in others)]
    if others:
        # A tool is offered when any account's login can use it; a call on one that cannot is
        # refused by Gmail with what is missing.
        grants = [a.settings.granted_scopes for a in accounts]
        granted = None if None in grants else frozenset().union(*(g for g in grants if g is not None))
        settings = replace(settings, granted_scopes=granted)
    app = App(
        settings=settings,
        accounts=accounts,
        opener=app_options.pop("opener", open_in_browser),
        clock=app_options.pop("clock", time.time),
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


def sandbox_backend(
    settings: Settings,
    login: Path | None = None,
    user: str | None = None,
    *,
    before: Callable[[], None] | None = None,
) -> Callable[[], Any]:
    """A client on the sandbox: with the login rehearsed against it when there is one, else as
    `user` (None: the sandbox's first user) through the stand-in token the sandbox takes for one.
    `before` runs first (a built-in sandbox starts then)."""
    if login is not None and login.exists():
        print(f"gmail-mcp: using the sandbox login at {login}", file=sys.stderr)

    def create() -> Any:
        if before is not None:
            before()
        from gmail_mcp.gmail.auth import TokenStore

        if login is not None and login.exists():
            store = TokenStore(login)
            store.login_command = f"gmail-mcp auth --sandbox-url {settings.api_root.rstrip('/')}"
            return _client(settings, store.load())
        # After our Gmail package, which keeps the Google libraries' unused parts unloaded.
        from google.oauth2.credentials import Credentials

        # The sandbox accepts any bearer token it did not issue itself; `user:ADDRESS` acts as ADDRESS.
        return _client(settings, Credentials(token=f"user:{user}" if user else "sandbox"))

    return create


def _client(settings: Settings, credentials: Any) -> Any:
    from gmail_mcp.common.pacing import QuotaLimiter
    from gmail_mcp.common.retry import Backoff
    from gmail_mcp.gmail.batching import SizeMemory
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
        batch_memory=SizeMemory(settings.paths.state_dir / "batching.json", settings.api_root),
    )


def imap_settings_and_backend(
    args: argparse.Namespace, account: str = DEFAULT_ACCOUNT
) -> tuple[Settings, Callable[[], Any]]:
    """Settings and backend factory for `serve --backend imap` of one account (the login is read on
    first use: `gmail-mcp auth --imap --account NAME`)."""
    from gmail_mcp.imap import features
    from gmail_mcp.imap.credentials import LoginStore

    paths = Paths.resolve()
    store = LoginStore(paths, account)
    stored = store.load() if store.exists() else None
    host = args.imap_host or (stored.imap_host if stored else None) or "imap.gmail.com"
    settings = settings_from(
        args, api_root(), GMAIL_WEB_URL, paths=paths.for_account(account), features=features(host)
    )

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
    account_names([args.account])  # a name that can be part of a file name
    from gmail_mcp.gmail import scopes
    from gmail_mcp.gmail.auth import TokenStore, login
    from gmail_mcp.surface.registry import all_specs, expand_tools

    paths = Paths.resolve()
    credentials = args.credentials or paths.credentials
    if args.sandbox_url:
        if args.credentials:
            raise CommandError("--sandbox-url brings the sandbox's own OAuth client: leave out --credentials")
        root = sandbox_root(args.sandbox_url)
        paths = paths.sandbox_profile(root)  # never the real login's file
        credentials = fetch_sandbox_client(root, paths.credentials)
    paths = paths.for_account(args.account)
    tool_scopes: dict[str, frozenset[str]] = {spec.name: spec.scopes for spec in all_specs()}
    try:
        wanted = sorted(expand_tools(_split(args.tools))) if args.tools else list(tool_scopes)
    except GmailMcpError as exc:
        raise SystemExit(f"gmail-mcp auth: {exc.message}") from None
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
            login_hint=args.email,
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
    account = account_names([args.account])[0]
    which = f" --account {account}" if account != DEFAULT_ACCOUNT else ""
    if args.sandbox_url:
        root = sandbox_root(args.sandbox_url)
        paths = Paths.resolve().sandbox_profile(root).for_account(account)
        return report(
            paths,
            out=sys.stdout,
            api_root=root + "/",
            login_command=f"gmail-mcp auth --sandbox-url {root}{which}",
            needs_client_file=False,  # the sandbox hands out its own
            tool_scopes=tool_scopes,
        )
    paths = Paths.resolve().for_account(account)
    code = 0
    imap_login = LoginStore(paths, account)
    if imap_login.exists():
        from gmail_mcp.imap.login import report as imap_report

        problems = imap_report(imap_login, out=sys.stdout)
        for problem in problems:
            print(f"problem:         {problem}", file=sys.stdout)
        print("imap status:     " + ("ok" if not problems else "NOT OK"), file=sys.stdout)
        code = 1 if problems else 0
        if not paths.token.exists():
            return code  # an IMAP-only setup: no OAuth token to report on
    return max(
        code,
        report(
            paths,
            out=sys.stdout,
            api_root=api_root(),
            login_command=f"gmail-mcp auth{which}",
            tool_scopes=tool_scopes,
        ),
    )


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

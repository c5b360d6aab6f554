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
from gmail_mcp.config import GMAIL_WEB_URL, Paths, Settings, api_root, env_flag
from gmail_mcp.errors import GmailMcpError

logger = logging.getLogger("gmail_mcp")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["sandbox"]:
        return run_sandbox(arguments[1:])
    parser = build_parser()
    args = parser.parse_args(arguments)
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
    serve.add_argument(
        "--quota-per-minute", type=int, default=6000, help="Gmail quota units per minute to pace to"
    )
    serve.add_argument("--no-open-browser", action="store_true", help="opening an email only returns its URL")
    serve.add_argument("--verbose", action="store_true")
    serve.set_defaults(run=run_serve)

    # Its options are the sandbox's own (`gmail_mcp.sandbox.cli`): main() hands every argument over.
    sandbox = commands.add_parser(
        "sandbox", help="run the sandbox Gmail as a standalone HTTP server", add_help=False
    )
    sandbox.set_defaults(run=lambda args: run_sandbox([]))

    status = commands.add_parser("status", help="show the account, scopes and token file")
    status.set_defaults(run=run_status)

    demo = commands.add_parser("demo", help="a short guided session against the sandbox")
    demo.set_defaults(run=run_demo)
    return parser


# -- serve ------------------------------------------------------------------------------------


def settings_from(
    args: argparse.Namespace,
    api_root: str,
    mail_url: str,
    paths: Paths | None = None,
    granted_scopes: frozenset[str] | None = None,
) -> Settings:
    return Settings.create(
        paths=paths,
        enhanced=args.enhanced,
        read_only=args.read_only,
        tools=frozenset(_split(args.tools)) if args.tools else None,
        granted_scopes=granted_scopes,
        api_root=api_root,
        mail_url_template=mail_url,
        quota_per_minute=args.quota_per_minute,
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
        sandbox_server = SandboxServer(mailbox, quota_per_minute=args.quota_per_minute).start()
        sandbox_url: str | None = sandbox_server.url
    else:
        sandbox_url = args.sandbox_url
    if sandbox_url:
        root = sandbox_url.rstrip("/") + "/"
        settings = settings_from(args, root, root + "mail/{id}", paths=sandbox_paths())
        backend = sandbox_backend(settings)
    else:
        paths = Paths.resolve()
        settings = settings_from(args, api_root(), GMAIL_WEB_URL, paths, granted_scopes(paths))
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
    from gmail_mcp.gmail.client import GmailClient
    from gmail_mcp.gmail.transport import authorized_http_factory

    return GmailClient(
        authorized_http_factory(credentials),
        api_root=settings.api_root,
        limiter=QuotaLimiter(settings.quota_per_minute),
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


SANDBOX_PORT = 8025  # `gmail-mcp sandbox`'s default port, as the README's examples use


def run_sandbox(argv: list[str]) -> int:
    """`gmail-mcp sandbox ...`: the sandbox's own command line (its --help lists every option)."""
    from gmail_mcp.sandbox import main as sandbox_main

    return sandbox_main(argv, default_port=SANDBOX_PORT)


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
    requested = scopes.least_covering(needed)
    store = TokenStore(paths.token)
    try:
        credentials = login(
            args.credentials or paths.credentials,
            store,
            requested,
            open_browser=not args.no_browser,
            timeout_seconds=args.timeout,
        )
    except GmailMcpError as exc:
        from gmail_mcp.actions.audit import AuditLog

        AuditLog(paths.audit_log).record("auth", "failed", error_code=exc.code, reason=exc.message)
        raise
    granted = list(credentials.scopes or requested)
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


def run_status(args: argparse.Namespace) -> int:
    from gmail_mcp.gmail.status import report
    from gmail_mcp.surface.registry import all_specs

    tool_scopes = {str(spec.name): spec.scopes for spec in all_specs()}
    return report(Paths.resolve(), out=sys.stdout, api_root=api_root(), tool_scopes=tool_scopes)


def run_demo(args: argparse.Namespace) -> int:
    from gmail_mcp.surface.demo import run

    return run(out=sys.stdout)


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


if __name__ == "__main__":
    raise SystemExit(main())

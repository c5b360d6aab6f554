"""The server of the conformance run: `gmail-mcp serve --sandbox --transport http --http-no-auth`
plus one fixture tool, `test_reconnection`, that exists only here, never in gmail-mcp itself.

    python scripts/conformance_server.py [--port N]   (scripts/conformance.py starts it on a free port)

The conformance suite's server-sse-polling scenario checks SEP-1699 polling end to end with a tool
of its reference "everything" server: the tool's server closes the call's SSE stream mid-call,
after the priming event, and the tool's result must arrive once the client reconnects with a GET
carrying `Last-Event-ID`. No gmail-mcp tool closes its own stream, so this script adds one that
does what the everything server's does, to a server built exactly as `gmail-mcp serve --sandbox
--transport http --http-no-auth` builds it: the same parser defaults, built-in sandbox, session
folder, settings, `make_server` and `serve_http` (the HTTP app with its per-session event store,
Host/Origin checks and retry interval). Its answer therefore travels through the product's event
store and its `Last-Event-ID` replay. Every other scenario sees the product and this one tool.
"""

from __future__ import annotations

import logging
import sys

import anyio
from mcp.server.mcpserver import Context

from gmail_mcp.cli import build_parser, make_server, sandbox_backend, settings_from
from gmail_mcp.cli_sandbox import builtin_sandbox, sandbox_session
from gmail_mcp.config import DEFAULT_ACCOUNT
from gmail_mcp.surface import http_token
from gmail_mcp.surface.http import serve_http
from gmail_mcp.surface.toolkit import READ, GmailMCPServer

SERVE = ["serve", "--sandbox", "--transport", "http", "--http-no-auth", "--port", "0"]
FIXTURE = "test_reconnection"  # the everything server's name, which the scenario calls
# The priming event is handed to the response before the tool runs, but not necessarily written
# yet: closing the stream before it is would lose it (and with it the id to resume from).
PRIMED_SECONDS = 0.2
# Long enough that the client has reconnected before the answer exists, so the answer comes on
# the resumed stream as it is stored (a later reconnection gets it replayed from the store).
ANSWER_AFTER_SECONDS = 0.5
ANSWER = "Reconnection test completed successfully"


async def test_reconnection(ctx: Context) -> str:
    """Close this call's SSE stream mid-call, then answer after the client has reconnected.

    Raises:
        RuntimeError: the transport offers no way to close the stream (a client that did not
            agree on protocol 2025-11-25, or no event store): the check would prove nothing.
    """
    await anyio.sleep(PRIMED_SECONDS)
    if ctx.request_context.close_sse_stream is None:
        raise RuntimeError("this call's SSE stream cannot be closed: no resumable stream to test")
    await ctx.close_sse_stream()
    await anyio.sleep(ANSWER_AFTER_SECONDS)
    return ANSWER


def add_fixture(server: GmailMCPServer) -> None:
    """Add the conformance fixture tool to `server` (guarded like every tool)."""
    server.add(
        FIXTURE,
        "Conformance fixture: SSE reconnection",
        READ,
        "Closes this call's SSE stream mid-call, then answers on the stream the client resumes "
        "with Last-Event-ID. Exists only in the conformance run.",
        test_reconnection,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or Ctrl-C; `argv`: more `serve` options (a later one wins), e.g. --port."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args([*SERVE, *(sys.argv[1:] if argv is None else argv)])
    with (
        builtin_sandbox(args.load, args.unread, args.quota_per_minute, args.quota_costs) as (url, ready),
        sandbox_session(keep=args.keep) as session,
    ):
        root = url + "/"
        settings = settings_from(args, root, root + "mail/{id}", session.for_account(DEFAULT_ACCOUNT))
        server = make_server(settings, sandbox_backend(settings, before=ready))
        add_fixture(server)
        auth = http_token.resolve(
            host=args.host, no_auth=args.http_no_auth, configured=None, token_file=settings.paths.http_token
        )
        auth.announce()
        try:
            serve_http(server, host=args.host, port=args.port, token=auth.token)
        finally:
            server.app.account.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

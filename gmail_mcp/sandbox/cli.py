"""`python -m gmail_mcp.sandbox` and `gmail-mcp sandbox`: the sandbox Gmail as a standalone server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from gmail_mcp.sandbox.costs import COSTS, DEFAULT_COSTS, PER_MINUTE
from gmail_mcp.sandbox.server import SandboxServer
from gmail_mcp.sandbox.store import DEFAULT_OWNER, Mailbox


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gmail-mcp sandbox",
        description="A local Gmail API v1 stand-in over HTTP (no Google account needed).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free port)")
    parser.add_argument(
        "--load",
        metavar="PATH",
        help="serve this mail instead of the demo mailbox: an .eml file, a folder of them, or an mbox",
    )
    parser.add_argument("--owner", default=DEFAULT_OWNER, help="the account address when --load is used")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay every HTTP request by L ms")
    parser.add_argument(
        "--quota-costs",
        choices=sorted(COSTS),
        default=DEFAULT_COSTS,
        help=(
            "which of Google's per-method quota tables to charge (default %(default)s): 2026 for Cloud "
            "projects created since 2026-05-01 (messages.get 20, threads.get 40 units), legacy for "
            "older ones (messages.get 5)"
        ),
    )
    parser.add_argument(
        "--quota-per-minute",
        type=int,
        metavar="U",
        help=(
            f"per-user quota units per rolling minute (default {PER_MINUTE['2026']:,} with 2026 costs, "
            f"{PER_MINUTE['legacy']:,} with legacy; 0: none); a call over it is refused with Gmail's "
            "403 userRateLimitExceeded"
        ),
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; the URL is printed to stderr. Returns the exit status."""
    args = _parser().parse_args(argv)
    if args.latency_ms < 0:
        print("sandbox: --latency-ms must not be negative", file=sys.stderr)
        return 2
    if args.load:
        mailbox = Mailbox(args.owner)
        try:
            count = mailbox.load(args.load)
        except OSError as exc:
            print(f"sandbox: cannot load {args.load}: {exc}", file=sys.stderr)
            return 2
        print(f"sandbox: loaded {count} messages from {args.load}", file=sys.stderr)
    else:
        mailbox = Mailbox.seeded()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
    server = SandboxServer(
        mailbox,
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        quota_per_minute=args.quota_per_minute,
        quota_costs=args.quota_costs,
        verbose=args.verbose,
    )
    try:
        server.start()
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"sandbox: serving Gmail API v1 for {mailbox.owner} at {server.url}", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("sandbox: stopped", file=sys.stderr)
    return 0

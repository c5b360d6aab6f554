"""`python -m gmail_mcp.sandbox` and `gmail-mcp sandbox`: the sandbox Gmail as a standalone server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from gmail_mcp.sandbox.server import SandboxServer
from gmail_mcp.sandbox.sources import LoadError
from gmail_mcp.sandbox.store import DEFAULT_OWNER, Mailbox

DEFAULT_PORT = 8025
DEFAULT_UNREAD = 10


def parser(prog: str = "gmail-mcp sandbox") -> argparse.ArgumentParser:
    """The sandbox's options, declared once: `gmail-mcp sandbox` hands its arguments to `main`."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local Gmail API v1 stand-in over HTTP (no Google account needed).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to bind (default {DEFAULT_PORT}; 0: any free port)",
    )
    parser.add_argument(
        "--load",
        metavar="PATH",
        help="serve this mail instead of the demo mailbox: an .eml file, a folder of them, or an mbox",
    )
    parser.add_argument(
        "--unread",
        type=int,
        metavar="N",
        help=f"with --load: leave the N newest messages unread (default {DEFAULT_UNREAD}); "
        "Takeout's own labels decide for the mail that has them",
    )
    parser.add_argument(
        "--owner", default=DEFAULT_OWNER, help=f"the account's address with --load (default {DEFAULT_OWNER})"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0, help="delay every HTTP request by this many ms (default 0)"
    )
    parser.add_argument(
        "--quota-per-minute",
        type=int,
        default=6000,
        help="Gmail quota units each user may spend per rolling minute (default 6000; 0: no limit)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None, *, prog: str = "gmail-mcp sandbox") -> int:
    """Serve until SIGINT or SIGTERM; the URL is printed to stderr. Returns the exit status."""
    args = parser(prog).parse_args(argv)
    if args.latency_ms < 0:
        print("sandbox: --latency-ms must not be negative", file=sys.stderr)
        return 2
    if args.unread is not None and (args.unread < 0 or not args.load):
        print("sandbox: --unread takes a number of 0 or more, and goes with --load", file=sys.stderr)
        return 2
    if args.load:
        mailbox = Mailbox(args.owner)
        try:
            report = mailbox.load(args.load, unread=DEFAULT_UNREAD if args.unread is None else args.unread)
        except LoadError as exc:
            print(f"sandbox: cannot load {exc}", file=sys.stderr)
            return 2
        for line in report.lines(Path(args.load)):
            print(f"sandbox: {line}", file=sys.stderr)
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

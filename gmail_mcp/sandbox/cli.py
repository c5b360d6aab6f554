"""`python -m gmail_mcp.sandbox` and `gmail-mcp sandbox`: the sandbox Gmail as a standalone server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from gmail_mcp.sandbox.behaviour import (
    DEFAULT_ATTACHMENT_ID_TTL,
    DEFAULT_INDEX_DELAY_MS,
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_MAX_JSON_BODY,
    Behaviour,
)
from gmail_mcp.sandbox.costs import COSTS, DEFAULT_COSTS, PER_MINUTE
from gmail_mcp.sandbox.server import SandboxServer
from gmail_mcp.sandbox.sources import LoadError
from gmail_mcp.sandbox.store import DEFAULT_OWNER, Mailbox

DEFAULT_PORT = 8025
DEFAULT_UNREAD = 10

GMAIL_LIKE = f"""\
It behaves like real Gmail where Gmail makes a client's life hard (each is switchable: by the
options above, or from Python with gmail_mcp.sandbox.behaviour.Behaviour):
  - Gmail replaces the Message-ID of every message it sends (messages.send, drafts.send).
  - New mail is found by a q= search only after --index-delay-ms (default {DEFAULT_INDEX_DELAY_MS});
    listing by labelIds without q sees it at once.
  - Attachment ids change on every fetch of a message and expire after --attachment-id-ttl
    seconds (default {DEFAULT_ATTACHMENT_ID_TTL:g}; 0: one stable id per part, never expiring).
  - JSON request bodies over {DEFAULT_MAX_JSON_BODY:,} bytes are refused with 413; /upload/ endpoints
    take messages up to 35 MB.
  - At most --max-concurrent calls (default {DEFAULT_MAX_CONCURRENT}; 0: no cap) are worked on at once;
    batch parts count one each, and calls beyond the cap get 429 "Too many concurrent requests
    for user".
  - Snippets are HTML-escaped (&#39; &amp; &quot; &lt; &gt;); modify refuses SENT and DRAFT;
    label colours must come from Gmail's palette; the fields= parameter trims answers.
  - History is kept about a week: history.list from an older start id answers 404. Only
    gmail.settings.basic may create or delete filters.

Control endpoints beside Gmail's paths: GET /__sandbox/stats, POST /__sandbox/reset,
POST|GET|DELETE /__sandbox/faults (errors, lost answers, resets, OAuth faults such as
{{"oauth": "partial_grant", "grant": [scopes]}}), POST /__sandbox/tokens
{{"refresh_token": ..., "client_id"?: ..., "scopes"?: [...]}} to accept a refresh token minted
elsewhere, POST /__sandbox/deliver {{"raw": base64url, "user"?: address}} for incoming mail as
Gmail receives it (category, filters, INBOX, UNREAD, history). The README describes each.
"""


def parser(prog: str = "gmail-mcp sandbox") -> argparse.ArgumentParser:
    """The sandbox's options, declared once: `gmail-mcp sandbox` hands its arguments to `main`."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local Gmail API v1 stand-in over HTTP (no Google account needed).",
        epilog=GMAIL_LIKE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        "--owner", help=f"the account's address with --load (default {DEFAULT_OWNER}; or use --user)"
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a Gmail user this sandbox serves (repeatable): the first gets the demo mailbox (or --load's "
        "mail), each other one a small mailbox of its own, at /gmail/v1/users/<address>/. Default: one "
        f"user, {DEFAULT_OWNER}. A token acts as one user: the first, or the one of its login (login_hint) "
        "or of an unissued token `user:ADDRESS`",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0, help="delay every HTTP request by this many ms (default 0)"
    )
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
    parser.add_argument(
        "--index-delay-ms",
        type=int,
        default=DEFAULT_INDEX_DELAY_MS,
        metavar="D",
        help=f"new mail is found by q= searches after D ms (default {DEFAULT_INDEX_DELAY_MS}; 0: at once)",
    )
    parser.add_argument(
        "--attachment-id-ttl",
        type=float,
        default=DEFAULT_ATTACHMENT_ID_TTL,
        metavar="S",
        help=f"attachment ids change per fetch and expire after S seconds (default {DEFAULT_ATTACHMENT_ID_TTL:g}; "
        "0: stable, never expiring)",
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=DEFAULT_MAX_CONCURRENT,
        metavar="K",
        help=f"calls worked on at once, batch parts included (default {DEFAULT_MAX_CONCURRENT}; 0: no cap)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None, *, prog: str = "gmail-mcp sandbox") -> int:
    """Serve until SIGINT or SIGTERM; the URL is printed to stderr. Returns the exit status."""
    args = parser(prog).parse_args(argv)
    for name in ("latency_ms", "index_delay_ms", "attachment_id_ttl", "max_concurrent"):
        if getattr(args, name) < 0:
            print(f"sandbox: --{name.replace('_', '-')} must not be negative", file=sys.stderr)
            return 2
    behaviour = Behaviour(
        index_delay_ms=args.index_delay_ms,
        attachment_id_ttl=args.attachment_id_ttl,
        max_concurrent=args.max_concurrent,
    )
    if args.unread is not None and (args.unread < 0 or not args.load):
        print("sandbox: --unread takes a number of 0 or more, and goes with --load", file=sys.stderr)
        return 2
    users = list(args.user)
    problem = _user_problem(users, args.owner)
    if problem:
        print(f"sandbox: {problem}", file=sys.stderr)
        return 2
    first = users[0] if users else None
    if args.load:
        mailbox = Mailbox(first or args.owner or DEFAULT_OWNER)
        try:
            report = mailbox.load(args.load, unread=DEFAULT_UNREAD if args.unread is None else args.unread)
        except LoadError as exc:
            print(f"sandbox: cannot load {exc}", file=sys.stderr)
            return 2
        for line in report.lines(Path(args.load)):
            print(f"sandbox: {line}", file=sys.stderr)
    else:
        mailbox = Mailbox.seeded(owner=first)
    others = [Mailbox.seeded(owner=address, small=True) for address in users[1:]]
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
        behaviour=behaviour,
        others=others,
    )
    try:
        server.start()
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    everyone = ", ".join(m.owner for m in (mailbox, *others))
    print(f"sandbox: serving Gmail API v1 for {everyone} at {server.url}", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("sandbox: stopped", file=sys.stderr)
    return 0


def _user_problem(users: list[str], owner: str | None) -> str | None:
    """Why these --user addresses (and --owner) cannot be served, or None."""
    if users and owner:
        return "--owner names the one account; with several, give each as --user"
    for address in users:
        if address.count("@") != 1 or any(ch.isspace() for ch in address) or address.startswith("@"):
            return f"--user takes an email address, not {address!r}"
    if len({address.casefold() for address in users}) != len(users):
        return "each --user needs an address of its own"
    return None

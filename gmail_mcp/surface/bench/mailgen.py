"""The mailbox the paging operation walks through: 500 inbox messages, made of the sandbox's own
seed mail (real-world sizes and structures) with fresh Message-IDs and dates, one thread each.

Written as a folder of .eml files for `gmail-mcp sandbox --load`, which files every message without
Takeout labels in the inbox.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

SEED_MESSAGES = ("gmail_mcp.sandbox", "seed_mailbox/messages")
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
POLICY = email.policy.compat32.clone(linesep="\r\n")  # headers kept as they are, CRLF as Gmail stores mail


def seed_messages() -> list[bytes]:
    """The raw seed messages, in file order."""
    package, folder = SEED_MESSAGES
    root = resources.files(package).joinpath(folder)
    return [
        entry.read_bytes()
        for entry in sorted(root.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".eml")
    ]


def write_inbox(folder: Path, count: int) -> None:
    """Write `count` messages into `folder`, oldest first, an hour apart.

    Raises:
        ValueError: there is no seed mail to build them from.
    """
    sources = seed_messages()
    if not sources:
        raise ValueError("the sandbox's seed mailbox has no messages to build the paging mailbox from")
    # Only the headers change: parse them alone, once per seed message, and keep each body's bytes.
    parser = email.parser.BytesParser(policy=POLICY)
    messages = [parser.parsebytes(raw, headersonly=True) for raw in sources]
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        message = messages[number % len(messages)]
        # Each message its own thread, so paging sees `count` messages whatever the seed's threads.
        for name in ("Message-ID", "Date", "In-Reply-To", "References"):
            del message[name]
        message["Message-ID"] = f"<bench-{number:04d}@bench.example>"
        message["Date"] = email.utils.format_datetime(START + timedelta(hours=number))
        (folder / f"{number:04d}.eml").write_bytes(message.as_bytes(policy=POLICY))

"""The mailbox a new sandbox starts with: a fixed, realistic Gmail account, kept as data.

The mail is in `seed_mailbox/`, shipped in the package: one .eml file per message and draft (the
raw bytes Gmail would store: CRLF, legacy charsets, RFC 2047 / 2231 names, attachments) and
`manifest.toml` (the owner, the user labels and their colours, each message's labels and internal
date). `loader.read_seed` reads it; `Mailbox.seeded()` builds the account from it. Threads are
implicit, as in Gmail: replies carry In-Reply-To / References and a "Re:" subject, and the store
groups them.

What the files hold: Harbor Labs work threads (one of ten messages, one with Gmail and Outlook quoted
history, an interview loop), a calendar invite, a forwarded message, nested multiparts and .csv /
.txt / .pdf / .png files, mail in legacy charsets from people abroad, family and friends with an
inline image, marketing HTML (preheaders, pixels, layout tables, tracking links), receipts, travel,
social and update notices, a mailing list, spam and phishing, a ~60,000-character report, mail
built to test an agent's safety (hidden control characters, a prompt injection), and three drafts.
tests/sandbox/test_seed_pin.py pins all of it.
"""

from __future__ import annotations

from importlib.resources import files

from gmail_mcp.sandbox.loader import SeedData, SeedLabel, SeedMessage, read_seed

__all__ = [
    "OWNER",
    "SEED_FILES",
    "SMALL_FILES",
    "SeedData",
    "SeedLabel",
    "SeedMessage",
    "seed_data",
    "small_data",
]

SEED_FILES = files("gmail_mcp.sandbox") / "seed_mailbox"
SMALL_FILES = files("gmail_mcp.sandbox") / "seed_small"


def seed_data() -> SeedData:
    """The seed mailbox, read from the package's files: equal on every call and run.

    Raises:
        ValueError: the packaged files are damaged or incomplete (see `loader.read_seed`).
    """
    return read_seed(SEED_FILES)


def small_data() -> SeedData:
    """The small mailbox each further user of a sandbox starts with (its owner is a placeholder).

    Raises:
        ValueError: the packaged files are damaged or incomplete.
    """
    return read_seed(SMALL_FILES)


# The account's address, for tests that compare senders with it; reading it costs a few ms, paid
# only by code that imports this module (the store imports it when a seeded mailbox is built).
OWNER = seed_data().owner

"""The mailbox a new sandbox starts with: a fixed, realistic Gmail account.

`seed_data()` returns the same bytes on every call and every run: fixed dates, MIME boundaries
derived from content, no randomness. Threads are implicit, as in Gmail: replies carry
In-Reply-To / References and a "Re:" subject, and the store groups them.

The content lives in the `seed_*` modules, by kind:
- `seed_work`: Harbor Labs threads (the 10-message one, quoted history, an interview loop)
- `seed_attachments`: a calendar invite, a forwarded message, nested multiparts, .csv / .txt files
- `seed_world`: legacy charsets, RFC 2047 / 2231 names, family and friends, an inline image
- `seed_newsletters`: marketing HTML (preheaders, pixels, layout tables, tracking links)
- `seed_notices`: receipts, travel, social, updates, a mailing list, spam
- `seed_report`: the ~60,000-character report; `seed_special`: safety-test mail and the drafts
"""

from __future__ import annotations

from dataclasses import dataclass

from .seed_attachments import attachment_mail
from .seed_mime import Stored
from .seed_newsletters import kestrel_mail, newsletter_mail
from .seed_notices import notice_mail
from .seed_people import OWNER as _OWNER
from .seed_report import long_report
from .seed_special import drafts, special_mail
from .seed_work import work_threads
from .seed_world import world_mail

OWNER = _OWNER.email
OWNER_NAME = _OWNER.name


@dataclass(frozen=True)
class SeedMessage:
    """One stored message: its raw RFC 822 bytes and the labels it carries."""

    raw: bytes  # the complete RFC 822 message, CRLF line endings
    system_labels: tuple[str, ...]  # Gmail system label ids (INBOX, UNREAD, SENT, CATEGORY_..., ...)
    user_labels: tuple[str, ...] = ()  # user label display names, e.g. ("Work/Projects",)
    internal_date_ms: int = 0  # epoch ms; Gmail's internalDate (when it was received)


@dataclass(frozen=True)
class SeedLabel:
    """A user label and its Gmail palette colours."""

    name: str
    text_color: str | None = None
    background_color: str | None = None


@dataclass(frozen=True)
class SeedData:
    """Everything a new sandbox mailbox holds."""

    owner: str
    owner_name: str
    labels: tuple[SeedLabel, ...]
    messages: tuple[SeedMessage, ...]  # in chronological order (oldest first)
    drafts: tuple[bytes, ...]  # raw RFC 822 drafts (the store gives them the DRAFT label)


LABELS = (
    SeedLabel("Work", "#ffffff", "#4a86e8"),
    SeedLabel("Work/Projects", "#ffffff", "#16a766"),
    SeedLabel("Family", "#000000", "#fad165"),
    SeedLabel("Travel Plans", "#ffffff", "#fb4c2f"),
    SeedLabel("Receipts", "#ffffff", "#a479e2"),
    SeedLabel("Newsletters", "#000000", "#c9daf8"),  # holds nothing, as real accounts have such labels
)


def seed_data() -> SeedData:
    """The seed mailbox. Pure and deterministic: byte-identical on every call and run."""
    work, venue_last, venue_last_text = work_threads()
    stored: list[Stored] = [
        *work,
        *attachment_mail(),
        *world_mail(),
        *kestrel_mail(),
        *newsletter_mail(),
        *notice_mail(),
        long_report(),
        *special_mail(),
    ]
    # sorted() is stable, so messages sharing a timestamp keep their source order.
    stored.sort(key=lambda item: item.mail.internal_date_ms)
    messages = tuple(
        SeedMessage(item.mail.render(), item.system_labels, item.user_labels, item.mail.internal_date_ms)
        for item in stored
    )
    return SeedData(
        owner=OWNER,
        owner_name=OWNER_NAME,
        labels=LABELS,
        messages=messages,
        drafts=tuple(draft.render() for draft in drafts(venue_last, venue_last_text)),
    )

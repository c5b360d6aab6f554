"""How Gmail-like the sandbox is: each way real Gmail makes a client's life harder, switchable.

The defaults copy what Gmail documents or is publicly reported to do, so everything proven
against the sandbox holds against Gmail:

- `rewrite_message_id`: Gmail replaces the Message-ID a client wrote when it sends a message
  (messages.send and drafts.send), so a send cannot be found again by its own Message-ID.
- `index_delay_ms`: new mail (sent, drafted, inserted, imported) is found by a `q` search only
  after this delay of the sandbox clock; listing by `labelIds` without `q` sees it at once.
- `attachment_id_ttl`: attachment ids differ on every fetch of a message and expire this many
  seconds after they were handed out (then 400 "Invalid attachment token"). 0 or None: one stable
  id per part that never expires (the old simplicity).
- `max_json_body`: a JSON (non-upload) request body above this many bytes, as sent (base64 and
  all), is refused with 413; `/upload/` endpoints take up to the method's own limit.
- `max_concurrent`: calls of one user in progress at once; a call beyond it (batch parts are
  processed concurrently, so a big batch trips it by itself) gets 429 "Too many concurrent
  requests for user". 0: no cap.
- `escape_snippets`: snippets carry HTML entities (`&#39;`, `&amp;`, `&quot;`, `&lt;`, `&gt;`).
- `history_retention_s`: history records older than this (sandbox clock) are forgotten, and
  history.list from a start id at or before a forgotten record answers 404, as Gmail does for a
  history id "typically valid for at least a week". None: history is kept for ever.

Tests that truly need the old simplicity pass e.g. ``Behaviour(index_delay_ms=0)`` to
`SandboxServer`, with a comment saying why; `Behaviour.simple()` switches everything off.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

DEFAULT_INDEX_DELAY_MS = 1000
DEFAULT_ATTACHMENT_ID_TTL = 600.0  # Gmail's is undocumented and reported short-lived
DEFAULT_MAX_JSON_BODY = 5 * 1024 * 1024
DEFAULT_MAX_CONCURRENT = 10  # "about 10 in flight" is what clients report as safe
DEFAULT_HISTORY_RETENTION_S = 7 * 86_400.0  # Gmail: a history id is valid for at least about a week


@dataclass(frozen=True)
class Behaviour:
    """The Gmail quirks a sandbox reproduces (see the module docstring)."""

    rewrite_message_id: bool = True
    index_delay_ms: int = DEFAULT_INDEX_DELAY_MS
    attachment_id_ttl: float | None = DEFAULT_ATTACHMENT_ID_TTL
    max_json_body: int | None = DEFAULT_MAX_JSON_BODY
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    escape_snippets: bool = True
    history_retention_s: float | None = DEFAULT_HISTORY_RETENTION_S

    def __post_init__(self) -> None:
        if self.index_delay_ms < 0:
            raise ValueError("index_delay_ms must not be negative")
        if self.attachment_id_ttl is not None and self.attachment_id_ttl < 0:
            raise ValueError("attachment_id_ttl must not be negative")
        if self.max_concurrent < 0:
            raise ValueError("max_concurrent must not be negative")
        if self.history_retention_s is not None and self.history_retention_s < 0:
            raise ValueError("history_retention_s must not be negative")

    @classmethod
    def simple(cls) -> Behaviour:
        """Every quirk off: Message-IDs kept, instant search, stable ids, no size or concurrency cap,
        history kept for ever."""
        return cls(
            rewrite_message_id=False,
            index_delay_ms=0,
            attachment_id_ttl=None,
            max_json_body=None,
            max_concurrent=0,
            escape_snippets=False,
            history_retention_s=None,
        )

    @property
    def rotates_attachment_ids(self) -> bool:
        """Whether attachment ids change per fetch and expire."""
        return bool(self.attachment_id_ttl)

    def snippet(self, text: str) -> str:
        """A snippet as Gmail serves it."""
        if not self.escape_snippets:
            return text
        # Gmail writes the apostrophe as &#39; where html.escape writes &#x27;.
        return html.escape(text, quote=True).replace("&#x27;", "&#39;")

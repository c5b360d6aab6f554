"""Incoming mail as Gmail receives it (`POST /__sandbox/deliver`): labels, category, filters, history.

`messages.insert` stores a message exactly as told (Gmail's documented bypass of classification);
a delivery is what arrives from outside instead:

- Gmail prepends `Delivered-To: <the user>` to the header block;
- the message gets INBOX and UNREAD, and one inbox category, chosen here by simple header rules
  (Gmail's classifier is undocumented): a `List-Id` is a mailing list (CATEGORY_FORUMS), a
  `List-Unsubscribe` or `Precedence: bulk` is bulk mail (CATEGORY_PROMOTIONS), an
  `Auto-Submitted` other than "no" is a notification (CATEGORY_UPDATES), anything else
  CATEGORY_PERSONAL;
- then every filter whose search matches it adds and removes its labels, before the message is
  stored, so history records one `messageAdded` with the labels it arrived with;
- it is received now (internal date = the sandbox clock) and found by a `q` search only after the
  index delay, like any new mail; it joins the thread of a message it references.
"""

from __future__ import annotations

import json

from gmail_mcp.sandbox.apierror import ApiError, invalid
from gmail_mcp.sandbox.call import decode_raw
from gmail_mcp.sandbox.filters import label_effects
from gmail_mcp.sandbox.outgoing import header, read_headers
from gmail_mcp.sandbox.search import parse_query
from gmail_mcp.sandbox.store import Mailbox, StoredMessage

MAX_INCOMING = 50 * 1024 * 1024  # Gmail receives messages of up to 50 MB


def category(raw: bytes) -> str:
    """The inbox category of an incoming message (see the module docstring)."""
    headers = read_headers(raw)
    if header(headers, "List-Id"):
        return "CATEGORY_FORUMS"
    if header(headers, "List-Unsubscribe") or header(headers, "Precedence").strip().lower() in (
        "bulk",
        "junk",
    ):
        return "CATEGORY_PROMOTIONS"
    if header(headers, "Auto-Submitted").strip().lower() not in ("", "no"):
        return "CATEGORY_UPDATES"
    return "CATEGORY_PERSONAL"


def deliver(mailbox: Mailbox, raw: bytes, *, searchable_at_ms: int) -> StoredMessage:
    """Receive `raw` into `mailbox` as Gmail would (the caller holds the mailbox lock)."""
    raw = f"Delivered-To: {mailbox.owner}\r\n".encode() + raw
    now = mailbox.now_ms()
    labels = {"INBOX", "UNREAD", category(raw)}
    doc = mailbox.incoming_doc(raw, now, labels)
    filters = mailbox.filters.all()
    matched = (parse_query(f.query(), now_ms=now, owner=mailbox.owner).matches(doc) for f in filters)
    added, removed = label_effects(filters, matched)
    return mailbox.add(raw, (labels | added) - removed, now, searchable_at_ms=searchable_at_ms)


def parse_request(body: bytes) -> tuple[bytes, str | None]:
    """The message and the user of a deliver request: {"raw": base64url, "user": address?}.

    Raises:
        ApiError: 400 for anything else.
    """
    try:
        spec = json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"The body must be a JSON object: {exc}") from exc
    if not isinstance(spec, dict) or "raw" not in spec or set(spec) - {"raw", "user"}:
        raise invalid('The body must be {"raw": <base64url message>, "user"?: <address>}')
    user = spec.get("user")
    if user is not None and (not isinstance(user, str) or not user.strip()):
        raise invalid("'user' must be an email address")
    raw = decode_raw(spec["raw"], "raw")
    if not raw.strip():
        raise invalid("'raw' is empty")
    if len(raw) > MAX_INCOMING:
        raise ApiError(
            413,
            "uploadTooLarge",
            f"Message too large: {len(raw)} bytes (Gmail receives up to {MAX_INCOMING})",
        )
    return raw, user

"""Gmail's quota units per API method.

Google's quota page: developers.google.com/workspace/gmail/api/reference/quota. The sandbox keeps
its own copy of the table (it shares no code with the product); a test holds the two equal.
"""

from __future__ import annotations

# Units per call, from Google's quota table (developers.google.com/workspace/gmail/api/reference/quota);
# the sandbox charges the same.
QUOTA_UNITS: dict[str, int] = {
    "gmail.users.getProfile": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.create": 5,
    "gmail.users.labels.update": 5,
    "gmail.users.labels.patch": 5,
    "gmail.users.labels.delete": 5,
    "gmail.users.history.list": 2,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.trash": 5,
    "gmail.users.messages.untrash": 5,
    "gmail.users.messages.import": 25,
    "gmail.users.messages.insert": 25,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.messages.delete": 10,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.batchDelete": 50,
    "gmail.users.messages.send": 100,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.update": 15,
    "gmail.users.drafts.send": 100,
    "gmail.users.threads.list": 5,
    "gmail.users.threads.get": 5,
    "gmail.users.threads.modify": 5,
    "gmail.users.threads.trash": 5,
    "gmail.users.threads.untrash": 5,
}


def units_for(method_id: str) -> int:
    """Quota units of one call; unknown methods are charged like a read (5)."""
    return QUOTA_UNITS.get(method_id, 5)

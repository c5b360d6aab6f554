"""Gmail OAuth scopes, and the narrowest one each Gmail method accepts.

The table follows the `scopes` lists of Gmail's discovery document (a test checks it), so the
login can ask for the least that covers the enabled tools, and a 403 can name what is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_BASE = "https://www.googleapis.com/auth/"
READONLY = _BASE + "gmail.readonly"
SEND = _BASE + "gmail.send"
COMPOSE = _BASE + "gmail.compose"
LABELS = _BASE + "gmail.labels"
MODIFY = _BASE + "gmail.modify"
# Filters: Gmail lets only this scope create or delete them (not even full access), so it is asked
# for only when the filter tools are wanted.
SETTINGS_BASIC = _BASE + "gmail.settings.basic"
FULL = "https://mail.google.com/"

# Scopes that include others (Google's documentation of each scope).
_IMPLIES: dict[str, frozenset[str]] = {
    FULL: frozenset({READONLY, SEND, COMPOSE, LABELS, MODIFY}),
    MODIFY: frozenset({READONLY, SEND, COMPOSE, LABELS}),
    COMPOSE: frozenset({SEND}),
}

# The narrowest scope each method we call accepts.
METHOD_SCOPE: dict[str, str] = {
    "gmail.users.getProfile": READONLY,
    "gmail.users.history.list": READONLY,
    "gmail.users.messages.list": READONLY,
    "gmail.users.messages.get": READONLY,
    "gmail.users.messages.attachments.get": READONLY,
    "gmail.users.threads.list": READONLY,
    "gmail.users.threads.get": READONLY,
    "gmail.users.labels.list": READONLY,
    "gmail.users.labels.get": READONLY,
    "gmail.users.drafts.list": READONLY,
    "gmail.users.drafts.get": READONLY,
    "gmail.users.settings.sendAs.list": READONLY,
    "gmail.users.settings.sendAs.get": READONLY,
    "gmail.users.messages.send": SEND,
    "gmail.users.drafts.create": COMPOSE,
    "gmail.users.drafts.update": COMPOSE,
    "gmail.users.drafts.send": COMPOSE,
    "gmail.users.drafts.delete": COMPOSE,
    "gmail.users.labels.create": LABELS,
    "gmail.users.labels.update": LABELS,
    "gmail.users.labels.patch": LABELS,
    "gmail.users.labels.delete": LABELS,
    "gmail.users.messages.modify": MODIFY,
    "gmail.users.messages.batchModify": MODIFY,
    "gmail.users.messages.trash": MODIFY,
    "gmail.users.messages.untrash": MODIFY,
    "gmail.users.threads.modify": MODIFY,
    "gmail.users.threads.trash": MODIFY,
    "gmail.users.threads.untrash": MODIFY,
    "gmail.users.settings.filters.list": READONLY,
    "gmail.users.settings.filters.get": READONLY,
    "gmail.users.settings.filters.create": SETTINGS_BASIC,
    "gmail.users.settings.filters.delete": SETTINGS_BASIC,
}


def expand(granted: Iterable[str]) -> frozenset[str]:
    """The granted scopes plus every scope they include."""
    result = set(granted)
    for scope in list(result):
        result |= _IMPLIES.get(scope, frozenset())
    return frozenset(result)


def least_covering(scopes: Iterable[str]) -> list[str]:
    """The smallest list of scopes that includes every scope in `scopes`, sorted.

    Needing both read access and message changes collapses to gmail.modify, which includes
    reading, drafts and sending; otherwise each narrow scope is kept as it is.
    """
    needed = set(scopes)
    for broad in (FULL, MODIFY, COMPOSE):
        if broad in needed:
            needed -= _IMPLIES[broad]
    return sorted(needed)


def unusable(tool_scopes: Mapping[str, Iterable[str]], granted: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each tool the granted scopes do not cover, with the scopes it lacks (a person may untick
    scopes on Google's consent screen)."""
    have = expand(granted)
    missing = {tool: frozenset(needed) - have for tool, needed in tool_scopes.items()}
    return {tool: lacking for tool, lacking in missing.items() if lacking}


def short_name(scope: str) -> str:
    """'gmail.readonly' for the readonly scope URL; the full-access scope stays a URL."""
    return scope.removeprefix(_BASE)

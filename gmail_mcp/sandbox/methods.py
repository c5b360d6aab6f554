"""The Gmail API v1 methods the sandbox serves: path and the scopes that allow each.

Paths and scope lists are those of Google's discovery document (`gmail.v1.json`); what each
costs is in `costs.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAIL = "https://mail.google.com/"


def _gmail(*names: str) -> frozenset[str]:
    return frozenset({MAIL, *(f"https://www.googleapis.com/auth/gmail.{name}" for name in names)})


# Scope sets, from the discovery document's "scopes" of each method.
_READ = _gmail("modify", "readonly")
_READ_META = _gmail("modify", "readonly", "metadata")
_PROFILE = _gmail("modify", "readonly", "metadata", "compose")
_CHANGE = _gmail("modify")
_DELETE = _gmail()
_SEND = _gmail("modify", "compose", "send")
_COMPOSE = _gmail("modify", "compose")
_DRAFT_READ = _gmail("modify", "compose", "readonly")
_INSERT = _gmail("modify", "insert")
_LABELS_READ = _gmail("modify", "readonly", "metadata", "labels")
_LABELS_WRITE = _gmail("modify", "labels")
_SETTINGS_READ = _gmail("modify", "readonly", "settings.basic")
# Creating and deleting filters takes gmail.settings.basic and nothing else, not even full access.
_SETTINGS_WRITE = frozenset({"https://www.googleapis.com/auth/gmail.settings.basic"})


@dataclass(frozen=True)
class Method:
    """One Gmail API method as the router sees it."""

    id: str  # the discovery id, e.g. gmail.users.messages.get
    http_method: str
    path: str  # below /gmail/v1/, with {placeholders}
    scopes: frozenset[str]
    upload: bool = False  # also reachable under /upload/ with a media body

    def pattern(self) -> re.Pattern[str]:
        """A regex over the path below /gmail/v1/, with one named group per placeholder."""
        parts = re.split(r"\{(\w+)\}", self.path)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
        return re.compile(regex)


def _m(name: str, http_method: str, path: str, scopes: frozenset[str], upload: bool = False) -> Method:
    return Method(f"gmail.users.{name}", http_method, f"users/{{userId}}/{path}", scopes, upload)


METHODS: tuple[Method, ...] = (
    _m("getProfile", "GET", "profile", _PROFILE),
    # messages: fixed paths before {id} so "send" is never read as an id
    _m("messages.list", "GET", "messages", _READ_META),
    _m("messages.insert", "POST", "messages", _INSERT, upload=True),
    _m("messages.send", "POST", "messages/send", _SEND, upload=True),
    _m("messages.import", "POST", "messages/import", _INSERT, upload=True),
    _m("messages.batchModify", "POST", "messages/batchModify", _CHANGE),
    _m("messages.batchDelete", "POST", "messages/batchDelete", _DELETE),
    _m("messages.get", "GET", "messages/{id}", _READ_META),
    _m("messages.delete", "DELETE", "messages/{id}", _DELETE),
    _m("messages.modify", "POST", "messages/{id}/modify", _CHANGE),
    _m("messages.trash", "POST", "messages/{id}/trash", _CHANGE),
    _m("messages.untrash", "POST", "messages/{id}/untrash", _CHANGE),
    _m("messages.attachments.get", "GET", "messages/{messageId}/attachments/{id}", _READ),
    # drafts
    _m("drafts.list", "GET", "drafts", _DRAFT_READ),
    _m("drafts.create", "POST", "drafts", _COMPOSE, upload=True),
    _m("drafts.send", "POST", "drafts/send", _COMPOSE, upload=True),
    _m("drafts.get", "GET", "drafts/{id}", _DRAFT_READ),
    _m("drafts.update", "PUT", "drafts/{id}", _COMPOSE, upload=True),
    _m("drafts.delete", "DELETE", "drafts/{id}", _COMPOSE),
    # labels
    _m("labels.list", "GET", "labels", _LABELS_READ),
    _m("labels.create", "POST", "labels", _LABELS_WRITE),
    _m("labels.get", "GET", "labels/{id}", _LABELS_READ),
    _m("labels.update", "PUT", "labels/{id}", _LABELS_WRITE),
    _m("labels.patch", "PATCH", "labels/{id}", _LABELS_WRITE),
    _m("labels.delete", "DELETE", "labels/{id}", _LABELS_WRITE),
    # threads
    _m("threads.list", "GET", "threads", _READ_META),
    _m("threads.get", "GET", "threads/{id}", _READ_META),
    _m("threads.delete", "DELETE", "threads/{id}", _DELETE),
    _m("threads.modify", "POST", "threads/{id}/modify", _CHANGE),
    _m("threads.trash", "POST", "threads/{id}/trash", _CHANGE),
    _m("threads.untrash", "POST", "threads/{id}/untrash", _CHANGE),
    # history
    _m("history.list", "GET", "history", _READ_META),
    # settings
    _m("settings.sendAs.list", "GET", "settings/sendAs", _SETTINGS_READ),
    _m("settings.sendAs.get", "GET", "settings/sendAs/{sendAsEmail}", _SETTINGS_READ),
    _m("settings.filters.list", "GET", "settings/filters", _SETTINGS_READ),
    _m("settings.filters.create", "POST", "settings/filters", _SETTINGS_WRITE),
    _m("settings.filters.get", "GET", "settings/filters/{id}", _SETTINGS_READ),
    _m("settings.filters.delete", "DELETE", "settings/filters/{id}", _SETTINGS_WRITE),
)

METHOD_IDS = frozenset(m.id for m in METHODS)
_COMPILED = tuple((m, m.pattern()) for m in METHODS)


def match(http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
    """The method and path parameters for a path below /gmail/v1/, or None."""
    for method, pattern in _COMPILED:
        if method.http_method != http_method:
            continue
        found = pattern.fullmatch(path)
        if found:
            return method, found.groupdict()
    return None

"""The terms of the sandbox's Gmail search: what one message offers a query, and each operator.

`search` parses a query into the nodes defined here; `Builders` turns each operator and its value
into a `Term` that tests one message's `SearchDoc`. The choices made where Gmail is undocumented
are listed in `search`'s docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from functools import cached_property, lru_cache

from gmail_mcp.sandbox.search_tokens import (
    contains,
    label_key,
    near,
    normalize,
    parse_age_ms,
    parse_date_seconds,
    parse_size,
)


@dataclass(frozen=True)
class SearchDoc:
    """What the search sees of one message (the store builds it; all strings already decoded)."""

    sender: str
    to: str
    cc: str
    bcc: str
    subject: str
    text: str
    label_ids: frozenset[str]
    label_names: frozenset[str]
    filenames: tuple[str, ...]
    has_attachment: bool
    internal_date_ms: int
    size: int
    message_id: str
    delivered_to: str = ""
    list_id: str = ""
    links: frozenset[str] = frozenset()  # kinds of link in the body: drive, document, youtube, ...


class View:
    """A SearchDoc with its normalized fields computed on first use, once per match."""

    def __init__(self, doc: SearchDoc) -> None:
        self.doc = doc

    @cached_property
    def everywhere(self) -> tuple[str, ...]:
        d = self.doc
        return tuple(normalize(s) for s in (d.subject, d.sender, d.to, d.cc, d.text, *d.filenames))

    @cached_property
    def subject(self) -> tuple[str, ...]:
        return (normalize(self.doc.subject),)

    @cached_property
    def prose(self) -> tuple[str, ...]:
        return (normalize(self.doc.subject), normalize(self.doc.text))

    @cached_property
    def filenames(self) -> tuple[str, ...]:
        return tuple(normalize(name) for name in self.doc.filenames)

    @cached_property
    def user_label_keys(self) -> frozenset[str]:
        return frozenset(label_key(name) for name in self.doc.label_names)


Predicate = Callable[[View], bool]


@dataclass(frozen=True)
class Term:
    source: str  # the query text it came from, for repr
    predicate: Predicate
    spam_trash: bool = False  # whether the term, un-negated, asks for trash or spam
    words: str = ""  # normalized words of a plain word or phrase term (what AROUND relates)

    def matches(self, view: View) -> bool:
        return self.predicate(view)

    def asks_spam_trash(self, positive: bool) -> bool:
        return positive and self.spam_trash


@dataclass(frozen=True)
class All:
    parts: tuple[Node, ...]

    def matches(self, view: View) -> bool:
        return all(part.matches(view) for part in self.parts)

    def asks_spam_trash(self, positive: bool) -> bool:
        return any(part.asks_spam_trash(positive) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Node, ...]

    def matches(self, view: View) -> bool:
        return any(part.matches(view) for part in self.parts)

    def asks_spam_trash(self, positive: bool) -> bool:
        return any(part.asks_spam_trash(positive) for part in self.parts)


@dataclass(frozen=True)
class Not:
    part: Node

    def matches(self, view: View) -> bool:
        return not self.part.matches(view)

    def asks_spam_trash(self, positive: bool) -> bool:
        return self.part.asks_spam_trash(not positive)


Node = Term | All | AnyOf | Not
Builder = Callable[[str], Node | None]  # an operator's value (or a bare word) to a term


def all_of(parts: Iterable[Node | None]) -> Node | None:
    kept = tuple(p for p in parts if p is not None)
    return None if not kept else kept[0] if len(kept) == 1 else All(kept)


def any_of(parts: Iterable[Node | None]) -> Node | None:
    kept = tuple(p for p in parts if p is not None)
    return None if not kept else kept[0] if len(kept) == 1 else AnyOf(kept)


# --- terms -----------------------------------------------------------------------------------

_SYSTEM_LABELS = {
    "inbox": "INBOX",
    "unread": "UNREAD",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "sent": "SENT",
    "draft": "DRAFT",
    "drafts": "DRAFT",
    "trash": "TRASH",
    "spam": "SPAM",
    "chat": "CHAT",
}
_CATEGORIES = {
    "primary": "CATEGORY_PERSONAL",
    "personal": "CATEGORY_PERSONAL",
    "social": "CATEGORY_SOCIAL",
    "promotions": "CATEGORY_PROMOTIONS",
    "updates": "CATEGORY_UPDATES",
    "forums": "CATEGORY_FORUMS",
    "reservations": "CATEGORY_RESERVATIONS",
    "purchases": "CATEGORY_PURCHASES",
}
# is:<state> → (label id, whether it must be present); None: a state the sandbox never has.
_STATES: dict[str, tuple[str, bool] | None] = {
    **{name: (label_id, True) for name, label_id in _SYSTEM_LABELS.items()},
    "read": ("UNREAD", False),
    "unstarred": ("STARRED", False),
    "unimportant": ("IMPORTANT", False),
    "snoozed": None,
    "muted": None,
}
_HEADERS: dict[str, Callable[[SearchDoc], str]] = {
    "from": lambda d: d.sender,
    "to": lambda d: d.to,
    "cc": lambda d: d.cc,
    "bcc": lambda d: d.bcc,
    "deliveredto": lambda d: d.delivered_to,
}


_DRIVE_KINDS = frozenset({"drive", "document", "spreadsheet", "presentation"})
_QUOTED_AROUND = re.compile(r"(.+?)\s+AROUND\s+([0-9]+)\s+(.+)")


def _never(view: View) -> bool:
    return False


def _has_link(kind: str) -> Predicate:
    return lambda view: kind in view.doc.links


@lru_cache(maxsize=4096)
def _addresses(header: str) -> tuple[str, ...]:
    return tuple(addr.casefold() for _, addr in getaddresses([header]) if addr)


def _address_matcher(value: str, owner: str) -> Callable[[str], bool] | None:
    """How a from:/to:/... value tests a header, or None if the value has no words."""
    value = value.strip().casefold()
    if value == "me":
        return lambda header: owner in _addresses(header)
    local, at, _ = value.partition("@")
    wanted = normalize(value)
    if not wanted:
        return None
    if at and local:
        return lambda header: any(normalize(a).startswith(wanted) for a in _addresses(header))
    if at:
        return lambda header: any(
            normalize(a.rpartition("@")[2]).endswith(wanted) for a in _addresses(header)
        )
    return lambda header: contains(normalize(header), wanted)


@dataclass(frozen=True)
class Builders:
    """Turns an operator's value into a term; each method is a `Builder`."""

    now_ms: int
    owner: str

    def for_operator(self, name: str) -> Builder:
        if name in _HEADERS:
            return lambda value: self.header(name, value)
        if name in ("after", "newer", "before", "older"):
            return lambda value: self.date(name, value)
        if name in ("newer_than", "older_than"):
            return lambda value: self.age(name, value)
        if name in ("larger", "size", "smaller"):
            return lambda value: self.size(name, value)
        return {
            "subject": self.subject,
            "label": self.label,
            "in": self.in_,
            "is": self.is_,
            "category": self.category,
            "has": self.has,
            "filename": self.filename,
            "rfc822msgid": self.rfc822msgid,
            "list": self.list_,
        }[name]

    def text(self, value: str) -> Node | None:
        ordered = _QUOTED_AROUND.fullmatch(value.strip())
        if ordered:
            first, distance, second = normalize(ordered[1]), int(ordered[2][:9]), normalize(ordered[3])
            if first and second:
                return self.near(first, second, min(distance, 10_000), ordered=True)
        wanted = normalize(value)
        if not wanted:
            return None
        return Term(value, lambda v: any(contains(field, wanted) for field in v.everywhere), words=wanted)

    def near(self, first: str, second: str, distance: int, *, ordered: bool) -> Node:
        """Two word sequences close together in the subject or the body."""
        return Term(
            f"{first.strip()} AROUND {distance} {second.strip()}",
            lambda v: any(near(field, first, second, distance, ordered=ordered) for field in v.prose),
        )

    def list_(self, value: str) -> Node | None:
        # A List-Id is the list's address with a dot for the @: <info.example.com>.
        wanted = normalize(value)
        if not wanted:
            return None
        return Term(f"list:{value}", lambda v: contains(normalize(v.doc.list_id), wanted))

    def subject(self, value: str) -> Node | None:
        wanted = normalize(value)
        if not wanted:
            return None
        return Term(f"subject:{value}", lambda v: contains(v.subject[0], wanted))

    def header(self, name: str, value: str) -> Node | None:
        test = _address_matcher(value, self.owner)
        if test is None:
            return None
        read = _HEADERS[name]
        return Term(f"{name}:{value}", lambda v: test(read(v.doc)))

    def label(self, value: str) -> Node | None:
        key = label_key(value)
        if not key:
            return None
        system = _SYSTEM_LABELS.get(key)
        return Term(
            f"label:{value}",
            lambda v: system in v.doc.label_ids or key in v.user_label_keys,
            spam_trash=system in ("TRASH", "SPAM"),
        )

    def in_(self, value: str) -> Node | None:
        place = value.strip().casefold()
        if place == "anywhere":
            return Term("in:anywhere", lambda v: True, spam_trash=True)
        if place in ("chats", "snoozed"):
            return Term(f"in:{place}", _never)
        return self.label(value)

    def is_(self, value: str) -> Node | None:
        state = _STATES.get(value.strip().casefold())
        if state is None:
            return Term(f"is:{value}", _never)
        label_id, present = state
        return Term(
            f"is:{value}",
            lambda v: (label_id in v.doc.label_ids) == present,
            spam_trash=present and label_id in ("TRASH", "SPAM"),
        )

    def category(self, value: str) -> Node | None:
        label_id = _CATEGORIES.get(value.strip().casefold())
        if label_id is None:
            return Term(f"category:{value}", _never)
        return Term(f"category:{value}", lambda v: label_id in v.doc.label_ids)

    def has(self, value: str) -> Node | None:
        what = value.strip().casefold()
        tests: dict[str, Predicate] = {
            "attachment": lambda v: v.doc.has_attachment,
            "userlabels": lambda v: bool(v.doc.label_names),
            "nouserlabels": lambda v: not v.doc.label_names,
            "drive": lambda v: bool(v.doc.links & _DRIVE_KINDS),
            **{kind: _has_link(kind) for kind in ("document", "spreadsheet", "presentation", "youtube")},
        }
        return Term(f"has:{value}", tests.get(what, _never))

    def filename(self, value: str) -> Node | None:
        wanted = normalize(value)
        if not wanted:
            return None
        return Term(f"filename:{value}", lambda v: any(contains(name, wanted) for name in v.filenames))

    def rfc822msgid(self, value: str) -> Node | None:
        wanted = value.strip().removeprefix("<").removesuffix(">")
        return Term(f"rfc822msgid:{value}", lambda v: bool(wanted) and v.doc.message_id == wanted)

    def date(self, name: str, value: str) -> Node | None:
        seconds = parse_date_seconds(value.strip())
        if seconds is None:
            return self.text(f"{name}:{value}")
        limit = seconds * 1000
        if name in ("after", "newer"):
            return Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms >= limit)
        return Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms < limit)

    def age(self, name: str, value: str) -> Node | None:
        span = parse_age_ms(value.strip())
        if span is None:
            return self.text(f"{name}:{value}")
        limit = self.now_ms - span
        if name == "newer_than":
            return Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms >= limit)
        return Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms < limit)

    def size(self, name: str, value: str) -> Node | None:
        limit = parse_size(value.strip())
        if limit is None:
            return self.text(f"{name}:{value}")
        if name == "smaller":
            return Term(f"{name}:{value}", lambda v: v.doc.size < limit)
        return Term(f"{name}:{value}", lambda v: v.doc.size >= limit)

"""Gmail's search language for the sandbox: the `q=` of messages.list, threads.list and drafts.list.

`parse_query` reads a query once; `Query.matches` then tests one message's `SearchDoc`. The
grammar is Gmail's, where OR binds tighter than the implicit AND (``a OR b c`` is ``(a OR b) c``)::

    query   := conj
    conj    := disj ( ['AND'] disj )*
    disj    := unary ( ('OR' | 'AROUND' n) unary )*
    unary   := '-' unary | primary
    primary := '(' conj ')' | '{' unary* '}' | operator value | word | "phrase"
    value   := word | "phrase" | '(' conj ')' | '{' unary* '}'   words inside apply to the operator

Like Gmail it rejects nothing: unknown operators (``foo:bar``) are searched as words, stray
closers are skipped, an unclosed group or quote runs to the end, a term with no letters or
digits (``&``) is dropped.

Where Gmail's behaviour is undocumented the sandbox picks, and says so here:
- Words are whole words, case- and Latin-accent-insensitive; unspaced scripts match as
  substrings (see `search_tokens`). Bare words search subject, From, To, Cc, body and filenames.
- ``from:``/``to:``/``cc:``/``bcc:``/``deliveredto:`` each read their own header only. A value
  with a local part and ``@`` must start an address (``ana@example`` finds ``ana@example.com``,
  not ``mary.ana@example.com``); ``@example.com`` must end a domain; other values are phrases
  of the header's words (display names and addresses).
- ``in:<label>`` is ``label:<label>``. Unknown ``is:``, ``has:`` and ``category:`` values match
  nothing; a date, size or age that does not parse is searched as words.
- ``after:``/``newer:``/``newer_than:``/``larger:``/``size:`` include their boundary;
  ``before:``/``older:``/``older_than:``/``smaller:`` exclude it, so each pair splits the mailbox.
- ``a AROUND n b``: both words (or phrases) in the subject or the body with at most n words
  between them, in either order; inside quotes (``"a AROUND n b"``) in that order. Without a
  number AROUND is a word; between anything but words it is AND.
- ``list:`` reads the List-Id header (``list:info@example.com`` finds ``<info.example.com>``).
- ``has:drive`` is any Google Drive, Docs, Sheets or Slides link in the body;
  ``has:document``/``has:spreadsheet``/``has:presentation``/``has:youtube`` one kind of link.
- ``is:muted``, ``is:snoozed`` and ``in:snoozed`` are understood, and match nothing: the API
  offers no way to mute or snooze, so no sandbox message ever is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from functools import cached_property, lru_cache

from gmail_mcp.sandbox.search_tokens import (
    Kind,
    Token,
    contains,
    label_key,
    near,
    normalize,
    parse_age_ms,
    parse_date_seconds,
    parse_size,
    tokenize,
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


class QueryError(ValueError):
    """A query Gmail itself rejects. Gmail has been found to reject none, so nothing raises it yet."""


class _View:
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


_Predicate = Callable[[_View], bool]


@dataclass(frozen=True)
class _Term:
    source: str  # the query text it came from, for repr
    predicate: _Predicate
    spam_trash: bool = False  # whether the term, un-negated, asks for trash or spam
    words: str = ""  # normalized words of a plain word or phrase term (what AROUND relates)

    def matches(self, view: _View) -> bool:
        return self.predicate(view)

    def asks_spam_trash(self, positive: bool) -> bool:
        return positive and self.spam_trash


@dataclass(frozen=True)
class _All:
    parts: tuple[_Node, ...]

    def matches(self, view: _View) -> bool:
        return all(part.matches(view) for part in self.parts)

    def asks_spam_trash(self, positive: bool) -> bool:
        return any(part.asks_spam_trash(positive) for part in self.parts)


@dataclass(frozen=True)
class _Any:
    parts: tuple[_Node, ...]

    def matches(self, view: _View) -> bool:
        return any(part.matches(view) for part in self.parts)

    def asks_spam_trash(self, positive: bool) -> bool:
        return any(part.asks_spam_trash(positive) for part in self.parts)


@dataclass(frozen=True)
class _Not:
    part: _Node

    def matches(self, view: _View) -> bool:
        return not self.part.matches(view)

    def asks_spam_trash(self, positive: bool) -> bool:
        return self.part.asks_spam_trash(not positive)


_Node = _Term | _All | _Any | _Not


def _all(parts: Iterable[_Node | None]) -> _Node | None:
    kept = tuple(p for p in parts if p is not None)
    return None if not kept else kept[0] if len(kept) == 1 else _All(kept)


def _any(parts: Iterable[_Node | None]) -> _Node | None:
    kept = tuple(p for p in parts if p is not None)
    return None if not kept else kept[0] if len(kept) == 1 else _Any(kept)


class Query:
    """A parsed Gmail query; `matches` tests one message."""

    def __init__(self, text: str, root: _Node | None) -> None:
        self.text = text
        self._root = root

    def matches(self, doc: SearchDoc) -> bool:
        """Whether the message satisfies the query (an empty query matches every message)."""
        return self._root is None or self._root.matches(_View(doc))

    @property
    def includes_spam_trash(self) -> bool:
        """True when the query itself asks for trash or spam (``in:trash``, ``in:anywhere``, ...),
        outside any negation; the store then keeps TRASH and SPAM messages in the results."""
        return self._root is not None and self._root.asks_spam_trash(True)

    def __repr__(self) -> str:
        return f"Query({self.text!r})"


def parse_query(q: str, *, now_ms: int, owner: str) -> Query:
    """Parse a Gmail search query.

    `now_ms` is the sandbox clock (epoch ms) for ``newer_than:``/``older_than:``; `owner` is the
    mailbox address that ``me`` stands for in ``from:me``, ``to:me`` and friends. Never raises:
    like Gmail, every query means something.
    """
    builders = _Builders(now_ms=now_ms, owner=owner.strip().casefold())
    return Query(q, _Parser(tokenize(q), builders).parse())


# --- parsing ---------------------------------------------------------------------------------

_Builder = Callable[[str], _Node | None]
_MAX_DEPTH = 100  # deeper groups are read flat: bounded recursion instead of a RecursionError
_ENDS = (None, Kind.CLOSE, Kind.CLOSE_BRACE, Kind.OR, Kind.AND, Kind.AROUND)  # no term starts here


class _Parser:
    def __init__(self, tokens: list[Token], builders: _Builders) -> None:
        self._tokens = tokens
        self._i = 0
        self._depth = 0
        self._builders = builders

    def parse(self) -> _Node | None:
        return self._conj(None, self._builders.text)

    def _peek(self) -> Kind | None:
        return self._tokens[self._i].kind if self._i < len(self._tokens) else None

    def _take(self) -> Token:
        self._i += 1
        return self._tokens[self._i - 1]

    def _conj(self, closer: Kind | None, field: _Builder) -> _Node | None:
        parts: list[_Node | None] = []
        while (kind := self._peek()) is not None and kind != closer:
            if kind in (Kind.CLOSE, Kind.CLOSE_BRACE, Kind.AND, Kind.OR, Kind.AROUND):
                self._i += 1  # a stray closer, or a connective with nothing on its left
            else:
                parts.append(self._disj(field))
        return _all(parts)

    def _disj(self, field: _Builder) -> _Node | None:
        parts = [self._unary(field)]
        while self._peek() in (Kind.OR, Kind.AROUND):
            if self._take().kind is Kind.AROUND:
                parts[-1] = self._around(parts[-1], field)
                continue
            if self._peek() in _ENDS:
                break
            parts.append(self._unary(field))
        return _any(parts)

    def _around(self, left: _Node | None, field: _Builder) -> _Node | None:
        """``left AROUND n right``, the AROUND already taken."""
        distance = None
        if self._peek() is Kind.WORD and self._tokens[self._i].text.isdigit():
            distance = min(int(self._take().text[:9]), 10_000)
        if distance is None:
            return _all([left, self._builders.text("AROUND")])  # no distance: a plain word
        if self._peek() in _ENDS:
            return left
        right = self._unary(field)
        if isinstance(left, _Term) and isinstance(right, _Term) and left.words and right.words:
            return self._builders.near(left.words, right.words, distance, ordered=False)
        return _all([left, right])

    def _unary(self, field: _Builder) -> _Node | None:
        negations = 0
        while self._peek() is Kind.NOT:
            self._i += 1
            negations += 1
        if self._peek() in _ENDS:
            return None
        node = self._primary(field)
        return _Not(node) if node is not None and negations % 2 else node

    def _primary(self, field: _Builder) -> _Node | None:
        token = self._take()
        if token.kind in (Kind.OPEN, Kind.OPEN_BRACE):
            return self._group(token.kind, field)
        if token.kind is Kind.OPERATOR:
            builder = self._builders.for_operator(token.text)
            if self._peek() in (Kind.WORD, Kind.PHRASE):
                return builder(self._take().text)
            if self._peek() in (Kind.OPEN, Kind.OPEN_BRACE):
                return self._group(self._take().kind, builder)
            return self._builders.text(token.text)  # an operator with no value is a word
        return field(token.text)

    def _group(self, opener: Kind, field: _Builder) -> _Node | None:
        if self._depth >= _MAX_DEPTH:
            return None
        self._depth += 1
        if opener is Kind.OPEN:
            node = self._conj(Kind.CLOSE, field)
            closer = Kind.CLOSE
        else:
            items: list[_Node | None] = []
            while (kind := self._peek()) is not None and kind is not Kind.CLOSE_BRACE:
                if kind in (Kind.CLOSE, Kind.OR, Kind.AND, Kind.AROUND):
                    self._i += 1
                else:
                    items.append(self._unary(field))
            node = _any(items)
            closer = Kind.CLOSE_BRACE
        self._depth -= 1
        if self._peek() is closer:
            self._i += 1
        return node


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


def _never(view: _View) -> bool:
    return False


def _has_link(kind: str) -> _Predicate:
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
class _Builders:
    """Turns an operator's value into a term; each method is a `_Builder`."""

    now_ms: int
    owner: str

    def for_operator(self, name: str) -> _Builder:
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

    def text(self, value: str) -> _Node | None:
        ordered = _QUOTED_AROUND.fullmatch(value.strip())
        if ordered:
            first, distance, second = normalize(ordered[1]), int(ordered[2][:9]), normalize(ordered[3])
            if first and second:
                return self.near(first, second, min(distance, 10_000), ordered=True)
        wanted = normalize(value)
        if not wanted:
            return None
        return _Term(value, lambda v: any(contains(field, wanted) for field in v.everywhere), words=wanted)

    def near(self, first: str, second: str, distance: int, *, ordered: bool) -> _Node:
        """Two word sequences close together in the subject or the body."""
        return _Term(
            f"{first.strip()} AROUND {distance} {second.strip()}",
            lambda v: any(near(field, first, second, distance, ordered=ordered) for field in v.prose),
        )

    def list_(self, value: str) -> _Node | None:
        # A List-Id is the list's address with a dot for the @: <info.example.com>.
        wanted = normalize(value)
        if not wanted:
            return None
        return _Term(f"list:{value}", lambda v: contains(normalize(v.doc.list_id), wanted))

    def subject(self, value: str) -> _Node | None:
        wanted = normalize(value)
        if not wanted:
            return None
        return _Term(f"subject:{value}", lambda v: contains(v.subject[0], wanted))

    def header(self, name: str, value: str) -> _Node | None:
        test = _address_matcher(value, self.owner)
        if test is None:
            return None
        read = _HEADERS[name]
        return _Term(f"{name}:{value}", lambda v: test(read(v.doc)))

    def label(self, value: str) -> _Node | None:
        key = label_key(value)
        if not key:
            return None
        system = _SYSTEM_LABELS.get(key)
        return _Term(
            f"label:{value}",
            lambda v: system in v.doc.label_ids or key in v.user_label_keys,
            spam_trash=system in ("TRASH", "SPAM"),
        )

    def in_(self, value: str) -> _Node | None:
        place = value.strip().casefold()
        if place == "anywhere":
            return _Term("in:anywhere", lambda v: True, spam_trash=True)
        if place in ("chats", "snoozed"):
            return _Term(f"in:{place}", _never)
        return self.label(value)

    def is_(self, value: str) -> _Node | None:
        state = _STATES.get(value.strip().casefold())
        if state is None:
            return _Term(f"is:{value}", _never)
        label_id, present = state
        return _Term(
            f"is:{value}",
            lambda v: (label_id in v.doc.label_ids) == present,
            spam_trash=present and label_id in ("TRASH", "SPAM"),
        )

    def category(self, value: str) -> _Node | None:
        label_id = _CATEGORIES.get(value.strip().casefold())
        if label_id is None:
            return _Term(f"category:{value}", _never)
        return _Term(f"category:{value}", lambda v: label_id in v.doc.label_ids)

    def has(self, value: str) -> _Node | None:
        what = value.strip().casefold()
        tests: dict[str, _Predicate] = {
            "attachment": lambda v: v.doc.has_attachment,
            "userlabels": lambda v: bool(v.doc.label_names),
            "nouserlabels": lambda v: not v.doc.label_names,
            "drive": lambda v: bool(v.doc.links & _DRIVE_KINDS),
            **{kind: _has_link(kind) for kind in ("document", "spreadsheet", "presentation", "youtube")},
        }
        return _Term(f"has:{value}", tests.get(what, _never))

    def filename(self, value: str) -> _Node | None:
        wanted = normalize(value)
        if not wanted:
            return None
        return _Term(f"filename:{value}", lambda v: any(contains(name, wanted) for name in v.filenames))

    def rfc822msgid(self, value: str) -> _Node | None:
        wanted = value.strip().removeprefix("<").removesuffix(">")
        return _Term(f"rfc822msgid:{value}", lambda v: bool(wanted) and v.doc.message_id == wanted)

    def date(self, name: str, value: str) -> _Node | None:
        seconds = parse_date_seconds(value.strip())
        if seconds is None:
            return self.text(f"{name}:{value}")
        limit = seconds * 1000
        if name in ("after", "newer"):
            return _Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms >= limit)
        return _Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms < limit)

    def age(self, name: str, value: str) -> _Node | None:
        span = parse_age_ms(value.strip())
        if span is None:
            return self.text(f"{name}:{value}")
        limit = self.now_ms - span
        if name == "newer_than":
            return _Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms >= limit)
        return _Term(f"{name}:{value}", lambda v: v.doc.internal_date_ms < limit)

    def size(self, name: str, value: str) -> _Node | None:
        limit = parse_size(value.strip())
        if limit is None:
            return self.text(f"{name}:{value}")
        if name == "smaller":
            return _Term(f"{name}:{value}", lambda v: v.doc.size < limit)
        return _Term(f"{name}:{value}", lambda v: v.doc.size >= limit)

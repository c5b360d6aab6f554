"""Gmail's search syntax on IMAP servers without X-GM-RAW: a documented subset, as IMAP SEARCH.

Supported (anything else is refused with the list below, never silently ignored):

    from: to: cc: bcc: subject: list: deliveredto: rfc822msgid:   header contains the value
    word, "a phrase"                                             anywhere in the message (TEXT)
    is:unread is:read is:starred is:unstarred is:draft           flags
    has:attachment                                               a multipart/mixed message (approximation)
    after: before: (YYYY/MM/DD, YYYY-MM-DD or epoch seconds)     received on/after, before
    newer_than: older_than: (Nd, Nw, Nm, Ny)                     relative to today
    larger: smaller: (bytes, or with K / M)                      size
    in:inbox in:sent in:drafts in:trash in:spam in:anywhere      which folders (top level only)
    label:NAME (a folder name; label:unread, label:starred)      which folders
    -term  a OR b  ( ... )  { a b }                              not, or, grouping, any-of

Values go to the server as UTF-8 (`CHARSET UTF-8`) whenever one is not ASCII, so non-English
searches work on servers that implement RFC 3501's charset SEARCH (Dovecot, Gmail, Exchange).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from gmail_mcp.errors import InvalidParamsError, NotFoundError
from gmail_mcp.imap.folders import FolderMap

SUPPORTED = (
    'from: to: cc: bcc: subject: list: deliveredto: rfc822msgid: words "phrases" is:unread is:read '
    "is:starred is:unstarred is:draft has:attachment after: before: newer_than: older_than: larger: "
    "smaller: in:inbox|sent|drafts|trash|spam|anywhere label: -not OR ( ) { }"
)
_HEADERS = {
    "from": [b"FROM"],
    "to": [b"TO"],
    "cc": [b"CC"],
    "bcc": [b"BCC"],
    "subject": [b"SUBJECT"],
    "list": [b"HEADER", b"List-Id"],
    "deliveredto": [b"HEADER", b"Delivered-To"],
    "rfc822msgid": [b"HEADER", b"Message-ID"],
}
_FLAGS = {
    "unread": [b"UNSEEN"],
    "read": [b"SEEN"],
    "starred": [b"FLAGGED"],
    "unstarred": [b"UNFLAGGED"],
    "draft": [b"DRAFT"],
}
_TOKEN = re.compile(
    r'\s*(?:(?P<open>[({])|(?P<close>[)}])|(?P<minus>-)(?=\S)|(?P<word>(?:[^\s(){}"]+)?"[^"]*"|[^\s(){}"]+))'
)
_UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Every operator Gmail knows; those outside the subset are refused rather than searched as words.
_OPERATORS = frozenset(
    {
        *_HEADERS,
        "is",
        "in",
        "label",
        "has",
        "after",
        "before",
        "older",
        "newer",
        "older_than",
        "newer_than",
        "larger",
        "smaller",
        "size",
        "filename",
        "category",
        "around",
        "deliveredto",
        "list",
    }
)


@dataclass(frozen=True)
class Search:
    """A query as IMAP: the folders to search (None: the usual ones) and the SEARCH criteria."""

    folders: tuple[str, ...] | None
    criteria: list[Any]
    charset: str | None = None


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    position: int = 0
    folders: list[str] = field(default_factory=list)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token


def translate(query: str, folders: FolderMap, *, today: Callable[[], date] = date.today) -> Search:
    """The IMAP search for a Gmail query.

    Raises:
        InvalidParamsError: an operator outside the supported subset, or a malformed query.
        NotFoundError: label:/in: names no folder (the details list the folders there are).
    """
    check_text(query, "query")
    parser = _Parser(_tokens(query))
    nodes = _sequence(parser, folders, today, top=True, closing=None)
    if parser.peek() is not None:
        raise _invalid(query, "unbalanced parentheses")
    criteria: list[Any] = []
    for node in nodes:
        criteria += node
    criteria = criteria or [b"ALL"]
    chosen = tuple(dict.fromkeys(parser.folders)) if parser.folders else None
    return Search(chosen, criteria, "UTF-8" if _eight_bit(criteria) else None)


def _tokens(query: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = query.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _invalid(query, "unbalanced quotes")
        kind = match.lastgroup or "word"
        found.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return found


def _sequence(
    parser: _Parser, folders: FolderMap, today: Callable[[], date], *, top: bool, closing: str | None
) -> list[list[Any]]:
    """Terms up to `closing` (or the end), ANDed; OR binds two neighbours."""
    nodes: list[list[Any]] = []
    while (token := parser.peek()) is not None:
        kind, value = token
        if kind == "close":
            if closing is None:
                raise _invalid(value, "unbalanced parentheses")
            break
        if kind == "word" and value == "OR":
            parser.take()
            if not nodes or parser.peek() is None:
                raise _invalid("OR", "OR needs a term on each side")
            right = _unary(parser, folders, today, top=False)
            nodes[-1] = [b"OR", _group(nodes[-1]), _group(right)]
            continue
        node = _unary(parser, folders, today, top=top)
        if node:
            nodes.append(node)
    return nodes


def _unary(parser: _Parser, folders: FolderMap, today: Callable[[], date], *, top: bool) -> list[Any]:
    kind, value = parser.take()
    if kind == "minus":
        inner = _unary(parser, folders, today, top=False)
        return [b"NOT", _group(inner)] if inner else []
    if kind == "open":
        closing = ")" if value == "(" else "}"
        inner = _sequence(parser, folders, today, top=False, closing=closing)
        end = parser.peek()
        if end is None or end[1] != closing:
            raise _invalid(value, "unbalanced parentheses")
        parser.take()
        if value == "{":  # Gmail's any-of group
            combined: list[Any] = []
            for node in inner:
                combined = node if not combined else [b"OR", _group(combined), _group(node)]
            return combined
        return [item for node in inner for item in node]
    if kind == "close":
        raise _invalid(value, "unbalanced parentheses")
    return _term(value, parser, folders, today, top=top)


def _term(
    word: str, parser: _Parser, folders: FolderMap, today: Callable[[], date], *, top: bool
) -> list[Any]:
    key, colon, raw = word.partition(":")
    if not colon or key.lower() not in _OPERATORS or word.startswith('"'):
        return [b"TEXT", _value(word)]  # a word that happens to hold a colon (a URL, a time)
    key, value = key.lower(), _unquote(raw)
    if not value:
        raise _invalid(word, f"{key}: needs a value")
    if key in _HEADERS:
        return [*_HEADERS[key], _value(value)]
    if key == "is" and value.lower() in _FLAGS:
        return list(_FLAGS[value.lower()])
    if key in ("in", "label"):
        lowered = value.lower()
        if lowered in ("unread", "starred", "read"):
            return list(_FLAGS[lowered])
        if not top:
            raise _invalid(word, f"{key}: picks folders, so it cannot be negated or inside OR or ( )")
        parser.folders += _folders_for(lowered, value, folders)
        return []
    if key == "has" and value.lower() in ("attachment", "attachments"):
        return [b"HEADER", b"Content-Type", b"multipart/mixed"]
    if key in ("after", "before", "newer", "older"):
        return [b"SINCE" if key in ("after", "newer") else b"BEFORE", _date(value, word)]
    if key in ("newer_than", "older_than"):
        match = re.fullmatch(r"(\d{1,5})([dwmy])", value.lower())
        if not match:
            raise _invalid(word, f"{key}: takes a number and d, w, m or y (newer_than:2d)")
        when = today() - timedelta(days=int(match[1]) * _UNITS[match[2]])
        return [b"SINCE" if key == "newer_than" else b"BEFORE", when]
    if key in ("larger", "smaller", "size"):
        return [b"SMALLER" if key == "smaller" else b"LARGER", _size(value, word)]
    raise _invalid(word, f"{key}:{value} is not supported on this IMAP server")


def _folders_for(lowered: str, value: str, folders: FolderMap) -> list[str]:
    if lowered in ("anywhere", "all"):
        return folders.every_folder()
    roles = {
        "inbox": "INBOX",
        "sent": "SENT",
        "drafts": "DRAFT",
        "draft": "DRAFT",
        "trash": "TRASH",
        "spam": "SPAM",
    }
    name = folders.folder_of(roles.get(lowered, value))
    if name is None:
        # Gmail writes "label:my-label" for a label called "My Label".
        name = folders.folder_of(value.replace("-", " ")) or folders.folder_of(value.replace("-", "/"))
    if name is None:
        raise NotFoundError(
            f"No folder or label is called {value!r}. The details list the folders there are.",
            label=value,
            available=sorted(folders.every_folder()),
        )
    return [name]


def _date(value: str, word: str) -> date:
    if value.isdigit() and len(value) >= 9:
        return datetime.fromtimestamp(int(value)).date()
    for pattern in ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise _invalid(word, "dates are written YYYY/MM/DD")


def _size(value: str, word: str) -> int:
    match = re.fullmatch(r"(\d{1,12})([kKmM]?)", value)
    if not match:
        raise _invalid(word, "sizes are bytes, or a number with K or M (larger:5M)")
    return int(match[1]) * {"": 1, "k": 1024, "m": 1024 * 1024}[match[2].lower()]


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _value(text: str) -> bytes:
    # Bytes, not str: IMAPClient sends 8-bit bytes as literals, and encodes nested str as ASCII only.
    return _unquote(text).encode("utf-8")


def _group(node: list[Any]) -> Any:
    """One search key: a single item as it is, several as a parenthesised list.

    The list ends with ALL (a no-op under AND) so that IMAPClient's closing parenthesis is never
    glued to a value that must go as a literal.
    """
    return node[0] if len(node) == 1 else [*node, b"ALL"]


def _eight_bit(criteria: Any) -> bool:
    if isinstance(criteria, bytes):
        return any(b > 127 for b in criteria)
    if isinstance(criteria, list):
        return any(_eight_bit(item) for item in criteria)
    return False


def check_text(value: str, field: str) -> str:
    """`value` if it holds no control character; IMAP has no way to quote CR or LF, so one would end
    the command and start another (command injection), and the others are refused by servers.

    Raises:
        InvalidParamsError: a control character is in it.
    """
    if _CONTROL.search(value):
        raise InvalidParamsError(
            f"The {field} contains a line break or another control character; remove it and try again.",
            **{field: value},
        )
    return value


def _invalid(text: str, problem: str) -> InvalidParamsError:
    return InvalidParamsError(
        f"Search {text!r}: {problem}. This IMAP server supports: {SUPPORTED}.",
        query=text,
        supported=SUPPORTED,
    )

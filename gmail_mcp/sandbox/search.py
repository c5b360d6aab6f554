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

from gmail_mcp.sandbox.search_terms import (
    Builder,
    Builders,
    Node,
    Not,
    SearchDoc,
    Term,
    View,
    all_of,
    any_of,
)
from gmail_mcp.sandbox.search_tokens import Kind, Token, tokenize

__all__ = ["Query", "QueryError", "SearchDoc", "parse_query"]


class QueryError(ValueError):
    """A query Gmail itself rejects. Gmail has been found to reject none, so nothing raises it yet."""


class Query:
    """A parsed Gmail query; `matches` tests one message."""

    def __init__(self, text: str, root: Node | None) -> None:
        self.text = text
        self._root = root

    def matches(self, doc: SearchDoc) -> bool:
        """Whether the message satisfies the query (an empty query matches every message)."""
        return self._root is None or self._root.matches(View(doc))

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
    builders = Builders(now_ms=now_ms, owner=owner.strip().casefold())
    return Query(q, _Parser(tokenize(q), builders).parse())


# --- parsing ---------------------------------------------------------------------------------

_MAX_DEPTH = 100  # deeper groups are read flat: bounded recursion instead of a RecursionError
_ENDS = (None, Kind.CLOSE, Kind.CLOSE_BRACE, Kind.OR, Kind.AND, Kind.AROUND)  # no term starts here


class _Parser:
    def __init__(self, tokens: list[Token], builders: Builders) -> None:
        self._tokens = tokens
        self._i = 0
        self._depth = 0
        self._builders = builders

    def parse(self) -> Node | None:
        return self._conj(None, self._builders.text)

    def _peek(self) -> Kind | None:
        return self._tokens[self._i].kind if self._i < len(self._tokens) else None

    def _take(self) -> Token:
        self._i += 1
        return self._tokens[self._i - 1]

    def _conj(self, closer: Kind | None, field: Builder) -> Node | None:
        parts: list[Node | None] = []
        while (kind := self._peek()) is not None and kind != closer:
            if kind in (Kind.CLOSE, Kind.CLOSE_BRACE, Kind.AND, Kind.OR, Kind.AROUND):
                self._i += 1  # a stray closer, or a connective with nothing on its left
            else:
                parts.append(self._disj(field))
        return all_of(parts)

    def _disj(self, field: Builder) -> Node | None:
        parts = [self._unary(field)]
        while self._peek() in (Kind.OR, Kind.AROUND):
            if self._take().kind is Kind.AROUND:
                parts[-1] = self._around(parts[-1], field)
                continue
            if self._peek() in _ENDS:
                break
            parts.append(self._unary(field))
        return any_of(parts)

    def _around(self, left: Node | None, field: Builder) -> Node | None:
        """``left AROUND n right``, the AROUND already taken."""
        distance = None
        if self._peek() is Kind.WORD and self._tokens[self._i].text.isdigit():
            distance = min(int(self._take().text[:9]), 10_000)
        if distance is None:
            return all_of([left, self._builders.text("AROUND")])  # no distance: a plain word
        if self._peek() in _ENDS:
            return left
        right = self._unary(field)
        if isinstance(left, Term) and isinstance(right, Term) and left.words and right.words:
            return self._builders.near(left.words, right.words, distance, ordered=False)
        return all_of([left, right])

    def _unary(self, field: Builder) -> Node | None:
        negations = 0
        while self._peek() is Kind.NOT:
            self._i += 1
            negations += 1
        if self._peek() in _ENDS:
            return None
        node = self._primary(field)
        return Not(node) if node is not None and negations % 2 else node

    def _primary(self, field: Builder) -> Node | None:
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

    def _group(self, opener: Kind, field: Builder) -> Node | None:
        if self._depth >= _MAX_DEPTH:
            return None
        self._depth += 1
        if opener is Kind.OPEN:
            node = self._conj(Kind.CLOSE, field)
            closer = Kind.CLOSE
        else:
            items: list[Node | None] = []
            while (kind := self._peek()) is not None and kind is not Kind.CLOSE_BRACE:
                if kind in (Kind.CLOSE, Kind.OR, Kind.AND, Kind.AROUND):
                    self._i += 1
                else:
                    items.append(self._unary(field))
            node = any_of(items)
            closer = Kind.CLOSE_BRACE
        self._depth -= 1
        if self._peek() is closer:
            self._i += 1
        return node

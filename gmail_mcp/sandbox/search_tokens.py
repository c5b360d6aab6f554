"""How the sandbox's Gmail search reads text: query into tokens, mail into words, operator values.

Query and mail text are read here together because they must agree: a query word matches when
the words it normalizes to appear, consecutively, among the words the same normalization finds
in a field of the message.

Query tokens: whitespace separates; ``( ) { }`` are tokens of their own; ``"..."`` is a phrase
(an unclosed quote runs to the end, as Gmail tolerates); ``-`` at the start of a term negates;
``OR``/``AND`` (upper-case only) are connectives, and so is ``AROUND`` (followed by a distance);
``name:`` with a known operator name starts an operator whose value is the next token. Anything
else, ``foo:bar`` included, is a word.

Words: NFKC, case-folded, Latin accents removed (``perez`` finds ``Pérez``), split on anything
that is not a letter or digit. Scripts written without spaces (Han, kana, Thai, Lao, Khmer,
Myanmar) cannot be split into words without a dictionary, so a query word in those scripts
matches as a substring of the text instead (``議事録`` finds ``会議の議事録``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache


class Kind(Enum):
    """What a query token is."""

    WORD = "word"
    PHRASE = "phrase"
    OPERATOR = "operator"
    NOT = "-"
    OR = "OR"
    AND = "AND"
    AROUND = "AROUND"
    OPEN = "("
    CLOSE = ")"
    OPEN_BRACE = "{"
    CLOSE_BRACE = "}"


@dataclass(frozen=True)
class Token:
    """One query token; `text` is the word, the phrase, or the operator name (lower-case)."""

    kind: Kind
    text: str = ""


OPERATORS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "deliveredto",
        "subject",
        "label",
        "in",
        "is",
        "category",
        "has",
        "filename",
        "after",
        "before",
        "older",
        "newer",
        "newer_than",
        "older_than",
        "larger",
        "smaller",
        "size",
        "rfc822msgid",
        "list",
    }
)

_PUNCTUATION = {"(": Kind.OPEN, ")": Kind.CLOSE, "{": Kind.OPEN_BRACE, "}": Kind.CLOSE_BRACE}
_RUN_END = re.compile(r'[\s(){}"]')


def tokenize(query: str) -> list[Token]:
    """Split a Gmail query into tokens. Never fails: every input yields some token list."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        nxt = query[i + 1 : i + 2]
        if ch.isspace():
            i += 1
        elif ch in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[ch], ch))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(Token(Kind.PHRASE, query[i + 1 : end]))
            i = end + 1
        elif ch == "-" and nxt and not nxt.isspace() and nxt not in ")}":
            tokens.append(Token(Kind.NOT, ch))
            i += 1
        elif ch == "+":
            # Gmail's "+word" asks for that exact word; words are exact here already.
            i += 1
        else:
            found = _RUN_END.search(query, i)
            end = found.start() if found else n
            tokens.extend(_classify(query[i:end]))
            i = end
    return tokens


def _classify(run: str) -> list[Token]:
    if run in ("OR", "AND", "AROUND"):
        return [Token(Kind[run], run)]
    name, colon, value = run.partition(":")
    if colon and name.casefold() in OPERATORS:
        operator = Token(Kind.OPERATOR, name.casefold())
        return [operator, Token(Kind.WORD, value)] if value else [operator]
    return [Token(Kind.WORD, run)]


_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han
)
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
_LATIN_ACCENTS = re.compile("[\u0300-\u036f]")
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """The words of `text`, folded, each with one space before and after (``' a b '``).

    Padding with spaces makes ``normalize(q) in normalize(t)`` a test for the consecutive whole
    words of q in t. Text without words gives ``''``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Only the combining marks Latin accents decompose into are dropped: kana voicing marks
    # (U+3099) decompose too and carry meaning.
    folded = unicodedata.normalize("NFC", _LATIN_ACCENTS.sub("", unicodedata.normalize("NFD", folded)))
    # Runs of unspaced scripts become words of their own, so a Latin word glued to them
    # ("会議のagenda") is still a whole word.
    folded = _UNSPACED_RUN.sub(lambda m: f" {m.group()} ", folded)
    words = _WORD.findall(folded)
    return f" {' '.join(words)} " if words else ""


def near(haystack: str, first: str, second: str, distance: int, *, ordered: bool) -> bool:
    """Whether the normalized words `first` and `second` occur in normalized `haystack` with at
    most `distance` words between them (`first` before `second` when `ordered`)."""
    words = haystack.split()
    a, b = first.split(), second.split()
    if not words or not a or not b:
        return False
    starts_a = [i for i in range(len(words) - len(a) + 1) if words[i : i + len(a)] == a]
    starts_b = [i for i in range(len(words) - len(b) + 1) if words[i : i + len(b)] == b]
    for i in starts_a:
        for j in starts_b:
            if j >= i + len(a) and j - (i + len(a)) <= distance:
                return True
            if not ordered and i >= j + len(b) and i - (j + len(b)) <= distance:
                return True
    return False


def contains(haystack: str, needle: str) -> bool:
    """Whether normalized `needle` occurs in normalized `haystack` (see the module docstring)."""
    if not needle:
        return True
    if _UNSPACED_RUN.search(needle):
        return needle.strip() in haystack
    return needle in haystack


# --- operator values -------------------------------------------------------------------------
# Digit runs are bounded: Python refuses to convert very long ones, and no real value needs them.


def label_key(name: str) -> str:
    """A label name as `label:` compares it: case-folded, with spaces, '/' and '-' all one '-'
    (Gmail lets users write ``Work/Projects`` as ``work-projects``)."""
    return re.sub(r"[\s/-]+", "-", name.strip().casefold()).strip("-")


def parse_date_seconds(value: str) -> int | None:
    """Epoch seconds of an `after:`/`before:` value, or None.

    Epoch seconds are exact; ``YYYY/MM/DD``, ``YYYY-MM-DD`` and ``MM/DD/YYYY`` mean midnight PST
    (UTC-08:00, all year), as the Gmail API documents.
    """
    if re.fullmatch(r"[0-9]{1,15}", value):
        return int(value)
    if m := re.fullmatch(r"([0-9]{4})[/-]([0-9]{1,2})[/-]([0-9]{1,2})", value):
        year, month, day = m.groups()
    elif m := re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", value):
        month, day, year = m.groups()
    else:
        return None
    try:
        days = (date(int(year), int(month), int(day)) - date(1970, 1, 1)).days
    except ValueError:
        return None
    return days * 86_400 + 8 * 3_600


def parse_age_ms(value: str) -> int | None:
    """Milliseconds of a `newer_than:`/`older_than:` value (``3d``, ``2m`` = 60 days, ``1y`` = 365)."""
    m = re.fullmatch(r"([0-9]{1,9})([dmy])", value.casefold())
    if not m:
        return None
    return int(m.group(1)) * {"d": 1, "m": 30, "y": 365}[m.group(2)] * 86_400_000


def parse_size(value: str) -> int | None:
    """Bytes of a `larger:`/`smaller:`/`size:` value: ``500``, ``10K``, ``1.5M`` (1024-based)."""
    m = re.fullmatch(r"([0-9]{1,15}(?:\.[0-9]{1,6})?)([km]?)b?", value.casefold())
    if not m:
        return None
    return int(float(m.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2)])

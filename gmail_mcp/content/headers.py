"""Header text we write: refused when an agent passes it, neutralised when an email supplies it.

Before CPython 3.11.10 / 3.12.5 the standard library's header generator decodes an RFC 2047 word
and writes a decoded CR/LF back out raw, so `=?utf-8?q?x=0D=0ABcc:_spy@evil.example?=` as a
subject becomes a hidden Bcc; and it splits a raw value at every character `str.splitlines()`
breaks at (VT, FF, U+001C-001E, U+0085, U+2028, U+2029). So no header text ever reaches the
standard library's header parser on the way out: values the agent passes are refused when they
hold encoded-word syntax or characters that break lines, control, hide or reorder text
(`check_argument`); text taken from an email is decoded fully and those characters removed
(`neutralise`); and every header is encoded here (`encode_text`, `encode_address`,
`encode_filename`) as 7-bit lines that are written as they are.
"""

from __future__ import annotations

import base64
import re
import unicodedata
import urllib.parse

from gmail_mcp.content.charsets import decode_header
from gmail_mcp.errors import InvalidParamsError

__all__ = [
    "check_argument",
    "encode_address",
    "encode_filename",
    "encode_text",
    "neutralise",
    "unsafe_character",
    "visible",
]

# Controls (C0, DEL, C1: line breaks among them), line and paragraph separators, bidirectional
# controls, zero-width characters other than ZWNJ/ZWJ (which belong to words and emoji), and
# lone surrogates (which cannot be encoded at all).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
    "\u200b\u2060\ufeff"
    "\ud800-\udfff]"
)
# Anything a lenient decoder could take for an RFC 2047 encoded word.
_ENCODED_WORD = re.compile(r"=\?.*?\?=", re.S)
_NEUTRALISE_ROUNDS = 8  # decodings of words inside words: real mail has one level, attacks a few
_MAX_LINE = 78
_WORD_BYTES = 45  # UTF-8 bytes per encoded word: base64 of 45 bytes + "=?utf-8?b??=" = 72 ≤ 75
_PLAIN_NAME = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but '"' and '\': quoted as it is
_PLAIN_FILENAME = re.compile(r"[ !#-\[\]-~]{1,60}")


def unsafe_character(value: str) -> str | None:
    """The first character that may not appear in a header value we write, or None."""
    found = _UNSAFE.search(value)
    return found.group() if found else None


def check_argument(value: str, field: str) -> str:
    """Return `value` unchanged, or refuse it when it could change the header it goes into.

    Refused: control characters (line breaks of every kind among them), line and paragraph
    separators, bidirectional controls, zero-width characters other than ZWNJ/ZWJ, lone
    surrogates, and RFC 2047 encoded-word syntax (`=?...?=`), which a decoder would turn into
    other text (line breaks included) than the person approved.

    Raises:
        InvalidParamsError: naming `field` and the character (as U+XXXX).
    """
    bad = unsafe_character(value)
    if bad is not None:
        code = f"U+{ord(bad):04X}"
        raise InvalidParamsError(
            f"{field} contains the character {code} ({_character_name(bad)}), which is not allowed in "
            "an email header. Remove it (write one line of plain text) and call again.",
            field=field,
            character=code,
        )
    if _ENCODED_WORD.search(value):
        raise InvalidParamsError(
            f"{field} contains '=?...?=' (MIME encoded-word syntax). Write the text itself; it is "
            "encoded for you.",
            field=field,
        )
    return value


def _character_name(ch: str) -> str:
    return unicodedata.name(ch, "a control character").lower()


def neutralise(text: str) -> str:
    """Header text from an email made safe to write into ours: one plain line, meaning kept.

    Encoded words are decoded until none is left (a word may decode to another word), decoded
    line breaks become spaces, the characters `check_argument` refuses are removed, and runs of
    whitespace become one space. ZWNJ/ZWJ stay inside words and emoji. Whatever still looks like
    an encoded word after that loses its `=?` and `?=`. The result always passes `check_argument`.
    """
    for _ in range(_NEUTRALISE_ROUNDS):
        decoded = decode_header(text)
        if decoded == text:
            break
        text = decoded
    text = _UNSAFE.sub(" ", text)
    while _ENCODED_WORD.search(text):
        text = text.replace("=?", "").replace("?=", "")
    return " ".join(text.split())


def visible(text: str) -> str:
    """`text` for a person to check: characters that hide, reorder or break text shown as <U+XXXX>.

    Used for the confirmation question: a subject with U+202E must not look like another one.
    """
    return _UNSAFE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def encode_text(text: str, *, header: str, field: str) -> str:
    """An unstructured header value (Subject) as 7-bit lines: plain when it can be, else RFC 2047.

    Plain ASCII is folded at its own spaces, so unfolding gives back exactly `text`. Non-ASCII,
    or a line that cannot be folded short enough, becomes encoded words, every character (spaces
    included) inside a word, one word per line.

    Raises:
        InvalidParamsError: `text` fails `check_argument` (callers check first; this is the last line).
    """
    check_argument(text, field)
    if text.isascii():
        folded = _fold(f"{header}: {text}")
        if folded is not None:
            return folded[len(header) + 2 :]
    return "\r\n ".join(_encoded_words(text))


def _fold(line: str) -> str | None:
    """`line` folded before spaces into lines of at most 78 characters, or None when it cannot be."""
    lines: list[str] = []
    while len(line) > _MAX_LINE:
        cut = line.rfind(" ", 1, _MAX_LINE + 1)
        if cut <= 0 or not line[:cut].strip():
            return None
        lines.append(line[:cut])
        line = line[cut:]
    lines.append(line)
    return "\r\n".join(lines)


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 base64 words for `text`, split between characters, each at most 75 characters.

    The stdlib's folder can leave a space *between* two encoded words, where RFC 2047 says
    decoders drop it ("Grüße aus Köln" arrives as "Grüße ausKöln"); here every character, spaces
    included, is inside a word.
    """
    chunks: list[str] = []
    chunk = ""
    for ch in text:
        if chunk and len((chunk + ch).encode()) > _WORD_BYTES:
            chunks.append(chunk)
            chunk = ""
        chunk += ch
    chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c.encode()).decode('ascii')}?=" for c in chunks]


def encode_address(display_name: str, addr_spec: str, field: str) -> str:
    """One mailbox, `"Name" <a@b.example>` or `=?utf-8?b?...?= <a@b.example>`, as 7-bit text.

    `addr_spec` must already be validated (dot-atom local part, IDNA domain).

    Raises:
        InvalidParamsError: the name or the address fails `check_argument`.
    """
    check_argument(display_name, field)
    check_argument(addr_spec, field)
    if not addr_spec.isascii() or any(ch in addr_spec for ch in ' <>",;\\'):
        raise InvalidParamsError(f"{field}: {addr_spec!r} is not a valid email address.", field=field)
    if not display_name:
        return addr_spec
    if _PLAIN_NAME.fullmatch(display_name) and len(display_name) <= 60:
        return f'"{display_name}" <{addr_spec}>'
    quoted = display_name.replace("\\", "\\\\").replace('"', '\\"')
    if display_name.isascii() and len(quoted) <= 60:
        return f'"{quoted}" <{addr_spec}>'
    return "\r\n ".join([*_encoded_words(display_name), f"<{addr_spec}>"])


def encode_filename(filename: str) -> str:
    """A Content-Disposition value for an attachment: `filename="..."` or RFC 2231 continuations.

    Raises:
        InvalidParamsError: `filename` fails `check_argument`.
    """
    check_argument(filename, "attachments")
    if _PLAIN_FILENAME.fullmatch(filename) and not filename.startswith(" "):
        return f'attachment; filename="{filename}"'
    encoded = urllib.parse.quote(filename.encode("utf-8"), safe="!#$&+-.^_`|~")
    if len(encoded) <= 60:
        return f"attachment;\r\n filename*=utf-8''{encoded}"
    pieces = [encoded[i : i + 60] for i in range(0, len(encoded), 60)]
    # Never cut a %XX escape in two: move a trailing partial escape to the next piece.
    for i in range(len(pieces) - 1):
        tail = pieces[i][-2:]
        cut = 2 if tail.startswith("%") else 1 if tail.endswith("%") else 0
        if cut:
            pieces[i], pieces[i + 1] = pieces[i][:-cut], pieces[i][-cut:] + pieces[i + 1]
    lines = [
        f"filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{piece}" for i, piece in enumerate(pieces)
    ]
    return "attachment;\r\n " + ";\r\n ".join(lines)

"""Text out of mail bytes, as Gmail shows it: charsets, RFC 2047 header words, HTML to plain text.

Every function here takes whatever real mail contains (wrong charsets, unknown codecs, raw 8-bit
headers, broken encoded-words) and returns text; none raises on bad input.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
from html.parser import HTMLParser

# Names seen in real mail that Python's codec registry does not know, or knows by a narrower name.
_CHARSET_ALIASES = {
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "unknown": "utf-8",
    "8bit": "utf-8",
    "ansi_x3.4-1968": "ascii",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-mac-roman": "mac-roman",
    "utf8": "utf-8",
}

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u034f\u00ad]")
_SPACE = re.compile(r"\s+")


def codec_for(charset: str | None) -> str | None:
    """A Python text codec name for a MIME charset, or None when there is no usable one."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # rot13, base64 and friends are bytes/str transforms, not charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset to text: the charset, else UTF-8, else the declared charset (or
    Windows-1252 when none is usable) with replacement characters for the bytes that do not fit."""
    codec = codec_for(charset)
    for candidate in (codec, "utf-8"):
        if candidate is None:
            continue
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError, ValueError):
            continue
    try:
        return data.decode(codec or "cp1252", errors="replace")
    except (LookupError, ValueError):
        return data.decode("cp1252", errors="replace")


def _from_surrogates(value: str) -> str:
    """Raw 8-bit header bytes (carried as surrogate escapes by the email package) as text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    return decode_text(data, "utf-8")


def _word_bytes(encoding: bytes, text: bytes) -> bytes | None:
    """The bytes an encoded-word carries, or None when it does not decode (it is then kept as is)."""
    if encoding in (b"b", b"B"):
        padded = text + b"=" * (-len(text) % 4)
        try:
            return base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            return None
    # Q encoding: underscore is a space, =XX a byte.
    try:
        return binascii.a2b_qp(text.replace(b"_", b" "), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_encoded_words(value: str) -> str:
    """RFC 2047: decode every encoded-word; whitespace between two adjacent words is dropped, and
    adjacent words in one charset are joined before decoding (senders split multibyte characters)."""
    if "=?" not in value:
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: bytes | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            charset = pending_charset.decode("ascii", "replace") if pending_charset else None
            out.append(decode_text(b"".join(pending), charset))
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(data):
        decoded = _word_bytes(match.group(2), match.group(3))
        if decoded is None:
            continue  # left in the text as written, with the gap around it
        gap = data[pos : match.start()]
        if gap and not (pending and gap.strip() == b""):
            flush()
            out.append(gap.decode("utf-8", errors="replace"))
        charset = match.group(1).split(b"*", 1)[0]  # RFC 2231 language suffix
        if pending and charset.lower() != (pending_charset or b"").lower():
            flush()
        pending_charset = charset
        pending.append(decoded)
        pos = match.end()
    flush()
    out.append(data[pos:].decode("utf-8", errors="replace"))
    return "".join(out)


def header_text(value: str) -> str:
    """A header value unfolded, with raw 8-bit bytes read as text; encoded-words left as they are."""
    unfolded = _FOLD.sub("", value).replace("\r", "").replace("\n", "")
    return _from_surrogates(unfolded).strip()


def decode_header(value: str) -> str:
    """A header value as Gmail returns it: unfolded, 8-bit bytes read as text, encoded-words decoded."""
    return decode_encoded_words(header_text(value)).strip()


def collapse(text: str) -> str:
    """Whitespace runs to one space, invisible padding characters removed."""
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


class _TextExtractor(HTMLParser):
    """Visible text of an HTML document, with block elements as line breaks."""

    _SKIP = frozenset({"script", "style", "head", "title", "noscript", "template"})
    _BLOCK = frozenset(
        {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


_TAG = re.compile(r"<[^>]*>")


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body (entities decoded, scripts and styles dropped)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser still has assertion paths on hostile markup
        return html.unescape(_TAG.sub(" ", markup))
    return "".join(parser.chunks)

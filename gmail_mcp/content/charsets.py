"""Characters of real-world mail: charsets, RFC 2047 encoded words, invisible characters.

Everything here is total: bad bytes, unknown charsets and malformed encoded words degrade to
U+FFFD or to the literal text, never to an exception, because one broken message must not stop a
mailbox from being read.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charset_normalizer import CharsetMatch

__all__ = [
    "clean_text",
    "decode_bytes",
    "decode_header",
    "decode_surrogates",
    "decode_words",
    "keep_joiners",
    "normalize_charset",
    "strip_invisible",
]

# Declared labels mapped to what browsers and mail clients really decode them as (WHATWG Encoding
# Standard): the labels name a subset, the senders write its superset. "codec: label label ...".
_ALIAS_TABLE = """
cp1252: latin1 latin-1 iso-8859-1 iso8859-1 iso_8859-1 iso_8859-1:1987 l1 cp819 ibm819 iso-ir-100
cp1252: csisolatin1 us-ascii ascii ansi_x3.4-1968 us iso646-us
gb18030: gb2312 gbk x-gbk cp936 euc-cn x-euc-cn chinese csgb2312 gb_2312-80 gb2312-80 iso-ir-58 gb18030
cp949: ks_c_5601-1987 ks_c_5601-1989 ks_c_5601 ksc5601 ksc_5601 euc-kr korean csksc56011987 iso-ir-149
cp949: windows-949 x-windows-949 cp949 uhc
cp932: shift_jis shift-jis shiftjis sjis x-sjis ms_kanji csshiftjis windows-31j x-ms-cp932 cp932
iso2022_jp: iso-2022-jp iso2022jp iso2022_jp csiso2022jp iso-2022-jp-1
utf-8: utf8 utf-8 unicode-1-1-utf-8 x-utf8
utf-7: utf-7 utf7 unicode-1-1-utf-7 csunicode11utf7 x-unicode20utf7
big5hkscs: big5 big-5 cn-big5 x-x-big5 csbig5
cp1254: iso-8859-9 iso8859-9 latin5 l5 windows-1254
cp874: iso-8859-11 tis-620 windows-874 x-windows-874 dos-874 cp874
iso8859-8: iso-8859-8-i iso-8859-8-e logical visual
iso8859-6: iso-8859-6-i iso-8859-6-e
mac-roman: x-mac-roman x-mac macintosh mac
euc_jp: x-euc-jp cseucpkdfmtjapanese
"""
_ALIASES = {
    label: codec.strip()
    for codec, _, labels in (line.partition(":") for line in _ALIAS_TABLE.strip().splitlines())
    for label in labels.split()
}
# Labels that say "I do not know": treated as no declaration at all.
_UNKNOWN = frozenset({"x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "none", "binary"})
# Text codecs Python offers that no mail is written in (and that would turn text into nonsense).
_NOT_MAIL = frozenset({"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"})

# What detection may answer, most common in mail first (breaks ties between equal candidates).
_DETECTION_ORDER = (
    "utf_8 cp1252 gb18030 big5hkscs cp932 euc_jp cp949 cp1251 koi8_r cp1250 cp1253 cp1255 cp1256"
)
_DETECTABLE = (*_DETECTION_ORDER.split(), "cp1254", "cp1257", "cp874")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

_INVISIBLE = (
    "\u200b\u2060\ufeff\u034f\u00ad"  # zero-width, soft hyphen
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"  # bidi controls
)
_INVISIBLE_TABLE = dict.fromkeys(map(ord, _INVISIBLE))
_CLEAN_TABLE = {**_INVISIBLE_TABLE, 0xA0: " "}
# ZWNJ and ZWJ are part of the text inside a word or an emoji sequence (Persian, Indic scripts,
# "family" emoji); anywhere else they only hide or fingerprint text.
_JOINERS = re.compile("[\u200c\u200d]+")
_JOINABLE = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "So", "Sk"})
# Everything Python's str.splitlines() breaks a line at: a decoded one must never reach a header.
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
# C0/C1 controls: never meaningful in a header.
_HEADER_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_BLANK_RUN = re.compile(r"\n{4,}")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([bBqQ])\?([^?]*?)\?=")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def normalize_charset(charset: str | None) -> str | None:
    """The Python codec for a declared charset label, or None when unknown or absent."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").strip().lower()
    if label in _UNKNOWN:
        return None
    if label in _ALIASES:
        return _ALIASES[label]
    for candidate in (label, label.removeprefix("x-"), re.sub(r"^(cp|ibm|windows)[-_ ]", r"\1", label)):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError, TypeError):
            continue
        if getattr(info, "_is_text_encoding", True) and info.name not in _NOT_MAIL:
            return _ALIASES.get(info.name, info.name)
    return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode a body or header by its declared charset, recovering from wrong or missing labels.

    Order: a byte-order mark; the declared charset (by its superset, see `_ALIASES`), except that a
    legacy label on valid multi-byte UTF-8 is taken as UTF-8 (the most common mislabel); strict
    UTF-8; the declared charset, then UTF-8, with replacement when only a few bytes are bad;
    charset-normalizer's detection; cp1252 with U+FFFD for the bytes it cannot map. Never raises.
    """
    if not data:
        return ""
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data.decode(bom_codec, errors="replace")
    codec = normalize_charset(charset)
    if codec is not None:
        if not codec.startswith(("utf", "iso2022")) and not data.isascii():
            # Legacy text is almost never valid multi-byte UTF-8 by chance; UTF-8 sent under an old
            # label (latin-1, gb2312) is the most common mislabel there is.
            as_utf8 = _strict(data, "utf-8")
            if as_utf8 is not None:
                return as_utf8
        declared = _iso2022jp(data) if codec == "iso2022_jp" else _strict(data, codec)
        if declared is not None:
            return declared
    as_utf8 = _strict(data, "utf-8")
    if as_utf8 is not None:
        return as_utf8
    for candidate in dict.fromkeys(c for c in (codec, "utf-8") if c is not None and c != "iso2022_jp"):
        mostly = data.decode(candidate, errors="replace")
        bad = mostly.count("\ufffd")
        good = sum(1 for ch in mostly if ord(ch) > 0x7F) - bad
        # A few bad bytes in otherwise well-decoded text: a damaged body, not a mislabel.
        if good > 0 and bad <= max(1, good // 20):
            return mostly
    detected = _detect(data)
    if detected is not None:
        return detected
    return data.decode("cp1252", errors="replace")


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def _detect(data: bytes) -> str | None:
    """charset-normalizer restricted to the charsets mail is written in.

    Unrestricted, it calls short Latin text UTF-16 or Shift_JIS. Its scores barely separate
    neighbouring code pages (cp1250 against cp1252 on Italian), so among candidates close to the
    best the one most common in mail wins.
    """
    try:
        from charset_normalizer import from_bytes  # imported when a declaration fails, not at start

        matches = list(from_bytes(data, cp_isolation=list(_DETECTABLE)))
    except Exception:  # a detector bug must not lose the message; cp1252 still follows
        return None
    if not matches:
        return None
    least_chaos = min(m.chaos for m in matches)
    near = [m for m in matches if m.chaos <= least_chaos + 0.05]
    most_coherent = max(m.coherence for m in near)
    near = [m for m in near if m.coherence >= most_coherent - 0.1]

    def rank(match: CharsetMatch) -> int:
        # A match stands for every charset that decodes these bytes the same way.
        aliases = [c for c in (match.encoding, *match.could_be_from_charset) if c in _DETECTABLE]
        return min((_DETECTABLE.index(c) for c in aliases), default=len(_DETECTABLE))

    return str(min(near, key=rank))


def _iso2022jp(data: bytes) -> str | None:
    """ISO-2022-JP as Microsoft's CP50220 writes it (NEC and IBM extensions, half-width kana).

    Python's iso2022_jp codecs refuse the NEC row 13 characters (circled digits, units) that
    Japanese mail uses all the time, so the JIS bytes are re-coded to Shift_JIS and decoded as cp932.
    """
    strict = _strict(data, "iso2022_jp_ext")
    if strict is not None:
        return strict
    sjis = bytearray()
    mode = "ascii"
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == 0x1B:
            seq = data[i + 1 : i + 3]
            if seq in (b"(B", b"(J"):
                mode, i = "ascii", i + 3
            elif seq == b"(I":
                mode, i = "kana", i + 3
            elif seq in (b"$@", b"$B"):
                mode, i = "kanji", i + 3
            elif data[i + 1 : i + 4] == b"$(D":
                return None  # JIS X 0212 has no cp932 mapping
            else:
                sjis.append(byte)
                i += 1
            continue
        if byte == 0x0E:
            mode, i = "kana", i + 1
        elif byte == 0x0F:
            mode, i = "ascii", i + 1
        elif mode == "kanji" and 0x21 <= byte <= 0x7E and i + 1 < n and 0x21 <= data[i + 1] <= 0x7E:
            sjis.extend(_jis_to_sjis(byte, data[i + 1]))
            i += 2
        elif mode == "kana" and 0x21 <= byte <= 0x5F:
            sjis.append(byte + 0x80)
            i += 1
        else:
            if byte in (0x0A, 0x0D) and mode == "kanji":
                mode = "ascii"  # a line never continues a double-byte run
            sjis.append(byte)
            i += 1
    return _strict(bytes(sjis), "cp932")


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    s1 = (j1 + 1) // 2 + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = (j2 + (0x20 if j2 >= 0x60 else 0x1F)) if j1 % 2 else j2 + 0x7E
    return bytes((s1, s2))


def strip_invisible(text: str) -> str:
    """Remove zero-width and bidirectional control characters (used to hide or spoof text).

    ZWNJ and ZWJ stay between two letters, marks or emoji, where they belong to the text (see
    `keep_joiners`).
    """
    return keep_joiners(text.translate(_INVISIBLE_TABLE))


def keep_joiners(text: str) -> str:
    """`text` with ZWNJ/ZWJ (U+200C/U+200D) kept only inside words and emoji sequences.

    A run of them stays (as its first) when the characters on both sides are letters, combining
    marks or symbols (emoji, skin-tone modifiers); elsewhere (next to spaces, punctuation, digits,
    or at the ends) it is removed.
    """
    if "\u200c" not in text and "\u200d" not in text:
        return text

    def joiner(match: re.Match[str]) -> str:
        start, end = match.span()
        inside = (
            start > 0
            and end < len(text)
            and unicodedata.category(text[start - 1]) in _JOINABLE
            and unicodedata.category(text[end]) in _JOINABLE
        )
        return match.group()[0] if inside else ""

    return _JOINERS.sub(joiner, text)


def clean_text(text: str) -> str:
    """Normalise body text for a reader that pays per character.

    Removes zero-width (U+200B, 2060, FEFF, 034F, 00AD) and bidirectional control characters
    (U+202A-202E, 2066-2069, 200E, 200F, 061C), and ZWNJ/ZWJ outside words and emoji (see
    `keep_joiners`), turns NBSP into a space and CRLF/CR into LF, trims trailing whitespace from
    every line, collapses runs of three or more blank lines to two, and drops blank lines at the
    start and whitespace at the end.
    """
    text = keep_joiners(text.translate(_CLEAN_TABLE)).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n\n", text).lstrip("\n").rstrip()


def decode_header(value: str | None) -> str:
    """Decode a header value for display: RFC 2047 words, raw 8-bit bytes, folding, invisibles.

    Encoded words in any charset and in B or Q encoding are decoded; adjacent words are joined
    (their bytes first, so a character split across two words survives); a malformed word is kept
    as written. Raw 8-bit bytes (carried as surrogate escapes by the stdlib parser) are decoded with
    `decode_bytes`. The value is unfolded; tabs and line breaks (decoded ones included: CR, LF,
    VT, FF, U+001C-001E, U+0085, U+2028, U+2029) become spaces; control, zero-width and bidi
    characters are removed and the ends are stripped, so the result is always one line. Never
    raises.
    """
    decoded = _LINE_BREAKS.sub(" ", strip_invisible(decode_words(value)).replace("\t", " "))
    return _HEADER_CONTROLS.sub("", decoded).strip()


def decode_words(value: str | None) -> str:
    """A header value with its RFC 2047 words and raw 8-bit bytes decoded and its folding removed.

    Nothing else changes: what the words decode to (line breaks, bidi controls) is kept, for a
    caller that must see exactly what a recipient's mail program will (see `decode_header`).
    """
    if not value:
        return ""
    text = decode_surrogates(re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", " ").replace("\n", " "))
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        raw = _decode_word(match.group(2), match.group(3))
        between = text[pos : match.start()]
        if raw is None:  # malformed: keep it literally
            out.append(_flush(pending))
            out.append(between + match.group(0))
        else:
            if not (pending and not between.strip()):  # whitespace between two words is not text
                out.append(_flush(pending))
                out.append(between)
            pending.append((match.group(1).split("*", 1)[0], raw))
        pos = match.end()
    out.append(_flush(pending))
    out.append(text[pos:])
    return "".join(out)


def decode_surrogates(text: str) -> str:
    """Decode raw 8-bit header bytes, which the stdlib parser carries as surrogate escapes.

    They belong to no declared charset, so `decode_bytes` guesses (UTF-8 first). Lone surrogates
    must not survive: they cannot be encoded, and pydantic replaces them with U+FFFD.
    """
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"), None)


def _decode_word(encoding: str, payload: str) -> bytes | None:
    if encoding in "bB":
        compact = re.sub(r"\s+", "", payload)
        try:
            decoded = base64.b64decode(compact + "=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            return None
        return decoded if decoded or not compact else None
    raw = payload.replace("_", " ").encode("utf-8", "surrogateescape")
    return _Q_ESCAPE.sub(lambda m: bytes.fromhex(m.group(1).decode()), raw)


def _flush(pending: list[tuple[str, bytes]]) -> str:
    """Decode queued encoded words, joining the bytes of neighbours in the same charset."""
    parts: list[str] = []
    while pending:
        charset, data = pending.pop(0)
        while pending and pending[0][0].lower() == charset.lower():
            data += pending.pop(0)[1]
        parts.append(decode_bytes(data, charset))
    return "".join(parts)

"""Small, valid attachment files for the seed mailbox, built byte for byte (PDF, PNG, iCalendar)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime

Rgb = tuple[int, int, int]


def make_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF 1.4 showing `title` and `lines` in Helvetica, with a correct xref table.

    Text must be Latin-1 (the font uses WinAnsiEncoding, which agrees with Latin-1 on letters).
    """

    def literal(text: str) -> bytes:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("latin-1") + b")"

    stream = b"BT /F1 16 Tf 72 740 Td " + literal(title) + b" Tj /F1 11 Tf 0 -28 Td 14 TL"
    for line in lines:
        stream += b" " + literal(line) + b" Tj T*"
    stream += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title " + literal(title) + b" /Producer (Harbor Labs Billing) >>",
    ]
    # The binary comment line marks the file as binary for transfer tools, as PDF writers do.
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def _stored_zlib(data: bytes) -> bytes:
    """A zlib stream of uncompressed (stored) deflate blocks.

    zlib.compress output may differ between zlib builds (zlib-ng, Chromium's fork); stored blocks are
    the same everywhere, which keeps the seed byte-identical on every machine.
    """
    out = bytearray(b"\x78\x01")
    for start in range(0, max(len(data), 1), 65535):
        block = data[start : start + 65535]
        final = 1 if start + 65535 >= len(data) else 0
        out += struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block
    out += struct.pack(">I", zlib.adler32(data))
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png(width: int, height: int, pixel: Callable[[int, int], Rgb]) -> bytes:
    """An 8-bit RGB PNG whose colour at (x, y) is `pixel(x, y)`."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type None
        for x in range(width):
            rows.extend(pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", _stored_zlib(bytes(rows)))
        + _chunk(b"IEND", b"")
    )


def bar_chart_png() -> bytes:
    """A 64x40 bar chart: p95 latency by week, bars shrinking after the migration."""
    bars = (34, 31, 33, 30, 22, 17, 15, 14)

    def pixel(x: int, y: int) -> Rgb:
        column, offset = divmod(x, 8)
        if y == 39 or x == 0:
            return (60, 60, 60)
        if 1 <= offset <= 6 and y >= 39 - bars[column]:
            return (66, 133, 244) if column < 4 else (15, 157, 88)
        return (255, 255, 255)

    return make_png(64, 40, pixel)


def garden_photo_png() -> bytes:
    """A 48x32 'photo': sky, a sun, a hedge and three flowers."""

    def pixel(x: int, y: int) -> Rgb:
        if (x - 38) ** 2 + (y - 7) ** 2 <= 16:
            return (250, 204, 21)
        for flower in (9, 20, 31):
            if (x - flower) ** 2 + (y - 22) ** 2 <= 5:
                return (219, 39, 119)
        if y >= 20:
            return (34, 120 + (x * 3) % 40, 50)
        return (135 + y * 2, 190 + y, 235)

    return make_png(48, 32, pixel)


def logo_png(colour: Rgb, size: int = 16) -> bytes:
    """A square logo: a `colour` disc on white."""
    middle = (size - 1) / 2

    def pixel(x: int, y: int) -> Rgb:
        return colour if (x - middle) ** 2 + (y - middle) ** 2 <= (size / 2.2) ** 2 else (255, 255, 255)

    return make_png(size, size, pixel)


def _ics_line(line: str) -> str:
    """RFC 5545 folding: content lines of at most 75 octets, continued with a leading space."""
    data = line.encode("utf-8")
    pieces: list[str] = []
    while len(data) > 75:
        cut = 75 if not pieces else 74
        while cut and (data[cut] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            cut -= 1
        pieces.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    pieces.append(data.decode("utf-8"))
    return "\n ".join(pieces)


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def calendar_invite(
    *,
    uid: str,
    summary: str,
    description: str,
    location: str,
    start: datetime,
    end: datetime,
    stamp: datetime,
    organizer: tuple[str, str],
    attendees: Sequence[tuple[str, str]],
) -> str:
    """An iCalendar METHOD:REQUEST invitation; times are UTC datetimes, people (name, address) pairs.

    Lines end with LF like every seed text; the MIME writer turns them into CRLF.
    """

    def utc(moment: datetime) -> str:
        return f"{moment:%Y%m%dT%H%M%S}Z"

    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Harbor Labs//Team Calendar 4.2//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"DTSTART:{utc(start)}",
        f"DTEND:{utc(end)}",
        f"DTSTAMP:{utc(stamp)}",
        f"ORGANIZER;CN={organizer[0]}:mailto:{organizer[1]}",
        f"UID:{uid}",
    ]
    lines += [
        f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN={name}:mailto:{email}"
        for name, email in attendees
    ]
    lines += [
        f"CREATED:{utc(stamp)}",
        f"DESCRIPTION:{_ics_text(description)}",
        f"LAST-MODIFIED:{utc(stamp)}",
        f"LOCATION:{_ics_text(location)}",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        f"SUMMARY:{_ics_text(summary)}",
        "TRANSP:OPAQUE",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "DESCRIPTION:Reminder",
        "TRIGGER:-PT10M",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_ics_line(line) + "\n" for line in lines)

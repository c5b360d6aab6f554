"""Attachments made for tests: small real documents, and hostile ones built to hurt a reader."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from typing import Any

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def message_with(*files: tuple[str, str, bytes], subject: str = "Files", charset: str | None = None) -> bytes:
    """An email with these (filename, MIME type, bytes) attachments; `charset` on text ones."""
    message = EmailMessage()
    message["From"] = "Ada Reyes <ada@harborlabs.example>"
    message["To"] = "alex@example.com"
    message["Subject"] = subject
    message["Date"] = "Tue, 17 Nov 2026 10:00:00 +0000"
    message.set_content("See attached.\n")
    for filename, mime_type, data in files:
        maintype, subtype = mime_type.split("/")
        params: dict[str, Any] = {"charset": charset} if charset and maintype == "text" else {}
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, params=params)
    return message.as_bytes()


def pdf(pages: list[str], *, repeat_kids: int = 1) -> bytes:
    """A PDF with one line of text per page; `repeat_kids` lists the pages that many times over in
    the page tree (a small file declaring a huge page count)."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    kids: list[int] = []
    number = 4
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
        objects[number] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
        objects[number + 1] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % number
        )
        kids.append(number + 1)
        number += 2
    kids *= repeat_kids
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for key in sorted(objects):
        offsets[key] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (key, objects[key])
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[key] for key in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def png(width: int = 4, height: int = 3, *, noise: bool = False) -> bytes:
    from PIL import Image

    if noise:
        import random

        pixels = random.Random(7).randbytes(width * height * 3)
        image = Image.frombytes("RGB", (width, height), pixels)
    else:
        image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header declares a canvas of width x height (a decompression bomb's shape)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def docx(paragraphs: list[str], *, hidden: str = "", table: list[list[str]] | None = None) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading("Quarterly report", level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if hidden:
        paragraph = document.add_paragraph("Visible. ")
        paragraph.add_run(hidden).font.hidden = True
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx(rows: list[list[Any]], *, title: str = "Budget") -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pptx(slides: list[tuple[str, str]], *, notes: str = "") -> bytes:
    import pptx as python_pptx

    presentation = python_pptx.Presentation()
    for title, body in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def zip_bomb(inflated: int, *, office: str = "word/document.xml") -> bytes:
    """A zip laid out like an Office file whose one member inflates to `inflated` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo(office)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(inflated // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def lying_zip(declared: int, *, office: str = "word/document.xml") -> bytes:
    """A small zip laid out like an Office file whose member declares it inflates to `declared` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(office, "<w:document/>" * 1000)
        archive.filelist[-1].file_size = declared  # written into the central directory at close
    return out.getvalue()


def docx_of_size(paragraphs: int) -> bytes:
    """A real DOCX whose body has `paragraphs` paragraphs of varied words (compressing about 10 to 1),
    written straight into the package: python-docx would take minutes for a large one."""
    template = docx([])
    body = "".join(
        f"<w:p><w:r><w:t>Paragraph {i} says {i * 7919 % 100003} things.</w:t></w:r></w:p>"
        for i in range(paragraphs)
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + body.encode(), 1)
            target.writestr(item.filename, data)
    return out.getvalue()

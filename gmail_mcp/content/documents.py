"""Attachments as something a model can read: what a file really is, and its text.

Pure: bytes in, text (or a checked image) out, no I/O. Every attachment is a file a stranger chose,
so what it *is* is decided from its bytes (a PDF named invoice.csv is read as a PDF, a "PNG" that
is not one is refused), and every cost it could inflate is bounded by `config.ReadLimits`.

- Text (txt, csv, md, json, ics, xml, ...): decoded by its declared charset with the recovery of
  `charsets.decode_bytes`; HTML goes through the same HTML -> Markdown rendering as bodies (hidden
  text dropped); a forwarded message (.eml) reads like a forwarded message in a body.
- PDF: pypdfium2, the bindings of PDFium, the PDF engine of Chrome. It is fuzzed continuously
  against hostile files (OSS-Fuzz), fast enough that a 25 MB PDF is read well within the time
  limit, and keeps reading order well. pypdf, the pure-Python choice, is 10-50x slower on large
  files and has had a run of denial-of-service fixes; pdfminer.six is slower still.
- DOCX: python-docx (text hidden with Word's "hidden" font attribute is left out, as hidden HTML
  is); XLSX: openpyxl in read-only mode (rows are streamed, cached formula values read, never the
  formulas); PPTX: python-pptx (slide text, tables, speaker notes). These are zip archives: the
  members' declared sizes, their compression ratio and their number are checked before any of
  them is parsed; the standard library's zipfile never inflates a member past its declared size,
  so a zip bomb is refused before it costs anything.
- Images (PNG, JPEG, GIF, WebP): Pillow reads only the header, to check the format the bytes
  really have and the canvas they declare; the bytes are passed on unchanged.

PDF and Office files are parsed by native or large libraries: callers run `read` for them in a
separate process with a deadline and a memory cap (`ISOLATED`; see actions/extraction.py). The
libraries load on first use, never at server start.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from gmail_mcp.config import ReadLimits
from gmail_mcp.content.charsets import clean_text, decode_bytes, decode_header
from gmail_mcp.errors import InvalidParamsError, PermissionDeniedError

__all__ = [
    "ISOLATED",
    "Document",
    "Identified",
    "Reader",
    "check_archive",
    "identify",
    "load_library",
    "read",
    "unreadable",
]

Reader = Literal["text", "html", "message", "pdf", "docx", "xlsx", "pptx", "image", "binary"]
ContentType = Literal["text", "markdown", "image", "binary"]
ISOLATED: frozenset[Reader] = frozenset({"pdf", "docx", "xlsx", "pptx"})  # parsed in a worker process

_OFFICE = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx", ".xlsm")),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)),
}
_IMAGES = (  # (signature test, MIME type, Pillow's format name)
    (lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"), "image/png", "PNG"),
    (lambda d: d.startswith(b"\xff\xd8\xff"), "image/jpeg", "JPEG"),
    (lambda d: d[:6] in (b"GIF87a", b"GIF89a"), "image/gif", "GIF"),
    (lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP", "image/webp", "WEBP"),
)
_TEXT_BY_EXTENSION = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".json": "application/json",
    ".ics": "text/calendar",
    ".ical": "text/calendar",
    ".vcf": "text/vcard",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
    ".ini": "text/plain",
}
_TEXT_TYPES = frozenset(
    {"application/json", "application/xml", "application/ics", "application/csv", "application/yaml"}
    | {"application/x-yaml", "application/toml", "application/ld+json", "image/svg+xml"}
)
_HTML_EXTENSIONS = (".html", ".htm", ".xhtml")
_MESSAGE_TYPES = ("message/rfc822", "message/global")
_SNIFF_BYTES = 64 * 1024  # how much of a "text" file is looked at for binary content
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_BIG_MEMBER = 1024 * 1024  # members smaller than this cannot bomb anything: no ratio check


@dataclass(frozen=True)
class Identified:
    """How a file will be read, and what it was found to be (never just what the email claims)."""

    reader: Reader
    mime_type: str
    why: str = ""  # for "binary": what it is instead


@dataclass(frozen=True)
class Document:
    """What a model reads of an attachment."""

    text: str  # "" for an image or a binary file
    content_type: ContentType
    mime_type: str  # what the file was found to be
    data: bytes | None = None  # an image (checked) or a binary file, unchanged
    note: str = ""  # what the reader should know: what was left out and why

    @property
    def weight(self) -> int:
        """Bytes it holds in memory, roughly (for the cache's bound)."""
        return len(self.text) * 2 + len(self.data or b"") + 200


def identify(data: bytes, declared: str, filename: str) -> Identified:
    """How to read `data`, an attachment declared as `declared` (a MIME type) named `filename`.

    The bytes decide first (PDF, images and zip-based Office files have signatures), then the
    declared type or the file name's extension for text; text with NUL bytes is binary. What
    cannot be read (archives, executables, audio, a file whose bytes are not what its type or name
    says) is "binary", with `why` saying what it is.
    """
    essence = declared.split(";", 1)[0].strip().lower()
    extension = _extension(filename)
    if b"%PDF-" in data[:1024]:
        return Identified("pdf", "application/pdf")
    for matches, mime_type, _ in _IMAGES:
        if matches(data):
            return Identified("image", mime_type)
    if data.startswith(b"PK\x03\x04"):
        for reader, (mime_type, extensions) in _OFFICE.items():
            if essence == mime_type or extension in extensions:
                return Identified(reader, mime_type)  # type: ignore[arg-type]
        return _binary("a zip archive")
    claimed = _claimed_kind(essence, extension)
    if claimed in ("pdf", "image", "office"):
        return _binary(f"declared as {essence or extension} but its bytes are not one")
    if claimed == "message":
        return Identified("message", "message/rfc822")
    head = data[:_SNIFF_BYTES]
    binary = b"\x00" in head and not head.startswith(_UTF16_32_BOMS)
    if claimed == "html" and not binary:
        return Identified("html", "text/html")
    if claimed == "text" and not binary:
        known = essence if essence.startswith("text/") or essence in _TEXT_TYPES else ""
        return Identified("text", known or _TEXT_BY_EXTENSION.get(extension, "text/plain"))
    if not binary and claimed == "unknown" and _is_utf8(head):
        return Identified("text", "text/plain")
    return _binary(f"binary data ({essence or 'no type'})")


def read(found: Identified, data: bytes, charset: str | None, limits: ReadLimits) -> Document:
    """The readable content of `data` as `identify` found it, within `limits`.

    Text is cleaned as bodies are (invisible and control characters removed) and cut at
    `limits.max_chars` with a note saying so.

    Raises:
        InvalidParamsError: the file is damaged, encrypted or not what it seemed.
        PermissionDeniedError: a limit: too many pages or slides, an archive that would expand
            too far, an image too large.
    """
    if found.reader == "image":
        return _image(data, found.mime_type, limits)
    if found.reader == "binary":
        return Document("", "binary", found.mime_type, data=data, note=found.why)
    readers: dict[Reader, Callable[[], tuple[str, ContentType, str]]] = {
        "text": lambda: (decode_bytes(data, charset), "text", ""),
        "html": lambda: (_html(data, charset), "markdown", ""),
        "message": lambda: _message(data),
        "pdf": lambda: _pdf(data, limits),
        "docx": lambda: _docx(data, limits),
        "xlsx": lambda: _xlsx(data, limits),
        "pptx": lambda: _pptx(data, limits),
    }
    text, content_type, note = readers[found.reader]()
    text = clean_text(_CONTROLS.sub("", text))
    if len(text) > limits.max_chars:
        text = text[: limits.max_chars]
        note = _join(note, f"Only the first {limits.max_chars:,} characters were kept.")
    return Document(text, content_type, found.mime_type, note=note)


def load_library(reader: Reader) -> None:
    """Import what `read` needs for `reader` now (a worker does, before it caps its own memory)."""
    modules = {"pdf": "pypdfium2", "docx": "docx", "xlsx": "openpyxl", "pptx": "pptx", "image": "PIL.Image"}
    if reader in modules:
        importlib.import_module(modules[reader])


# --- identifying ---------------------------------------------------------------------------------


def _extension(filename: str) -> str:
    name = filename.strip().lower()
    return name[name.rfind(".") :] if "." in name else ""


def _claimed_kind(essence: str, extension: str) -> str:
    """What the email says the file is: pdf, image, office, message, html, text or unknown."""
    if essence == "application/pdf" or extension == ".pdf":
        return "pdf"
    if essence in _MESSAGE_TYPES or extension == ".eml":
        return "message"
    if essence in ("text/html", "application/xhtml+xml") or extension in _HTML_EXTENSIONS:
        return "html"
    if essence.startswith("text/") or essence in _TEXT_TYPES or extension in _TEXT_BY_EXTENSION:
        return "text"
    if essence.startswith("image/") or extension in (".png", ".jpg", ".jpeg", ".gif", ".webp"):
        return "image"
    if any(essence == t or extension in e for t, e in _OFFICE.values()):
        return "office"
    return "unknown"


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut at the end of the sample
    return True


def _binary(why: str) -> Identified:
    return Identified("binary", "application/octet-stream", why)


def unreadable(filename: str, why: str) -> InvalidParamsError:
    """The error for a file identified as "binary": what it is, and what can be read."""
    return InvalidParamsError(
        f"{filename or 'This attachment'} cannot be read as text: it is {why}. Text, HTML, PDF, "
        "DOCX, XLSX, PPTX and PNG/JPEG/GIF/WebP images can be read; download it to use it otherwise.",
        filename=filename,
    )


def _join(*notes: str) -> str:
    return " ".join(n for n in notes if n)


# --- text, HTML and forwarded messages -----------------------------------------------------------


def _html(data: bytes, charset: str | None) -> str:
    from gmail_mcp.content.htmlmd import html_to_markdown  # the HTML libraries load on first use

    if charset is None:
        meta = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", data[:4096], re.I)
        charset = meta.group(1).decode("ascii") if meta else None
    return html_to_markdown(decode_bytes(data, charset))


def _message(data: bytes) -> tuple[str, ContentType, str]:
    from gmail_mcp.content import mime  # the whole MIME reader, as for the message itself

    root = mime.parse_rfc822(data)
    body = mime.extract_body(root)
    lines = [
        f"{name}: {value}"
        for name in ("From", "To", "Cc", "Date", "Subject")
        if (value := decode_header(root.header(name)))
    ]
    text = "\n".join(lines) + ("\n\n" + body.content if body.content else "")
    return text, "markdown" if body.content_type == "markdown" else "text", body.note


# --- images --------------------------------------------------------------------------------------


def _image(data: bytes, mime_type: str, limits: ReadLimits) -> Document:
    if len(data) > limits.max_image_bytes:
        raise PermissionDeniedError(
            f"This image is {len(data):,} bytes; images are passed to the model up to "
            f"{limits.max_image_bytes:,} bytes. Download it instead.",
            size=len(data),
            limit_bytes=limits.max_image_bytes,
        )
    from PIL import Image  # loads on the first image read

    pillow_format = next(name for _, t, name in _IMAGES if t == mime_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of large canvases: the check below decides
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:  # a canvas far past Pillow's own limit
        raise _too_many_pixels(None, limits) from exc
    except Exception as exc:  # Pillow raises many kinds on damaged headers
        raise InvalidParamsError(
            f"This {mime_type} image is damaged and cannot be shown.", mime_type=mime_type
        ) from exc
    if width * height > limits.max_image_pixels:
        raise _too_many_pixels((width, height), limits)
    return Document("", "image", mime_type, data=data)


def _too_many_pixels(size: tuple[int, int] | None, limits: ReadLimits) -> PermissionDeniedError:
    declared = f"declares {size[0]:,} x {size[1]:,} pixels" if size else "declares a huge canvas"
    return PermissionDeniedError(
        f"This image {declared}; images are passed to the model up to {limits.max_image_pixels:,} pixels.",
        limit_pixels=limits.max_image_pixels,
    )


# --- PDF -----------------------------------------------------------------------------------------


def _pdf(data: bytes, limits: ReadLimits) -> tuple[str, ContentType, str]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        locked = getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD
        what = "is protected by a password" if locked else "is damaged or not a PDF"
        raise InvalidParamsError(f"This PDF {what} and cannot be read.") from exc
    try:
        count = len(pdf)
        _check_count(count, "pages", limits)
        pieces = _Pieces(limits.max_chars)
        for index in range(count):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
            if not pieces.add(f"--- page {index + 1} of {count} ---\n{text.strip()}"):
                break
    finally:
        pdf.close()
    return pieces.text(), "text", pieces.note("pages")


def _check_count(count: int, what: str, limits: ReadLimits) -> None:
    if count > limits.max_pages:
        raise PermissionDeniedError(
            f"This document has {count:,} {what}; at most {limits.max_pages:,} are read. Nothing was read.",
            count=count,
            limit=limits.max_pages,
        )


class _Pieces:
    """Text gathered piece by piece until the character limit is passed (reading stops there)."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.size = 0
        self.stopped = False

    def add(self, piece: str) -> bool:
        """Keep `piece`; False once the limit is passed (read no more)."""
        self.parts.append(piece)
        self.size += len(piece) + 2
        self.stopped = self.size > self.max_chars
        return not self.stopped

    def text(self) -> str:
        return "\n\n".join(self.parts)

    def note(self, what: str) -> str:
        return f"Reading stopped after {len(self.parts):,} {what}." if self.stopped else ""


# --- zip-based Office files ----------------------------------------------------------------------


def check_archive(data: bytes, limits: ReadLimits) -> None:
    """Refuse a zip whose members would expand too far, too steeply, or are too many.

    Raises:
        InvalidParamsError: not a readable zip archive.
        PermissionDeniedError: past `limits.max_members`, `max_expanded_bytes` or `max_ratio`.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InvalidParamsError("This Office file is damaged (not a readable zip archive).") from exc
    if len(members) > limits.max_members:
        raise _bomb(f"holds {len(members):,} files (at most {limits.max_members:,} are read)")
    expanded = sum(m.file_size for m in members)
    if expanded > limits.max_expanded_bytes:
        raise _bomb(f"would expand to {expanded:,} bytes (at most {limits.max_expanded_bytes:,})")
    for member in members:
        if member.file_size > _BIG_MEMBER and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            ratio = member.file_size // max(member.compress_size, 1)
            raise _bomb(f"has a part compressed {ratio:,} to 1 (at most {limits.max_ratio:,} to 1)")


def _bomb(what: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"This Office file {what}: refused as a possible zip bomb. Nothing was read.", reason="archive limits"
    )


def _office(data: bytes, limits: ReadLimits, open_document: Callable[[io.BytesIO], Any], kind: str) -> Any:
    check_archive(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the libraries warn about harmless oddities
            return open_document(io.BytesIO(data))
    except (PermissionDeniedError, InvalidParamsError, MemoryError):
        raise
    except Exception as exc:  # each library raises its own zoo on a damaged file
        if _out_of_memory(exc):
            raise MemoryError(str(exc)) from exc
        raise InvalidParamsError(f"This {kind} file is damaged or not what its name says.") from exc


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether a library's own error was really a failed allocation (lxml reports "Memory allocation
    failed" as a syntax error, zlib its Z_MEM_ERROR as a zlib.error)."""
    while exc is not None:
        if isinstance(exc, MemoryError) or "memory" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _docx(data: bytes, limits: ReadLimits) -> tuple[str, ContentType, str]:
    import docx
    from docx.table import Table

    document = _office(data, limits, docx.Document, "DOCX")
    # Styles by id, looked up once: python-docx scans every style on each `.style` access.
    styles = {style.style_id: style for style in document.styles}
    hidden_styles = {
        key for key, style in styles.items() if getattr(getattr(style, "font", None), "hidden", None)
    }
    pieces = _Pieces(limits.max_chars)
    hidden = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            text = "\n".join(" | ".join(" ".join(c.text.split()) for c in row.cells) for row in block.rows)
        else:
            style_id = block._p.style
            text, left_out = _visible_runs(block, style_id in hidden_styles, hidden_styles)
            hidden += left_out
            level = _heading_level(styles[style_id].name if style_id in styles else "")
            text = f"{'#' * level} {text}" if level and text else text
        if text.strip() and not pieces.add(text):
            break
    note = f"{hidden:,} pieces of hidden text were left out." if hidden else ""
    return pieces.text(), "text", _join(note, pieces.note("paragraphs and tables"))


def _visible_runs(paragraph: Any, hidden_paragraph: bool, hidden_styles: set[str]) -> tuple[str, int]:
    """A paragraph's text without runs formatted as hidden (Word's "hidden" font attribute, set on
    the run, its character style or its paragraph's style)."""
    shown: list[str] = []
    hidden = 0
    for item in paragraph.iter_inner_content():
        for run in getattr(item, "runs", None) or [item]:  # a hyperlink holds runs
            direct = run.font.hidden
            if direct or (direct is None and (hidden_paragraph or run._r.style in hidden_styles)):
                hidden += bool(run.text.strip())
            else:
                shown.append(run.text)
    return "".join(shown), hidden


def _heading_level(style_name: str | None) -> int:
    match = re.fullmatch(r"Heading (\d)", style_name or "")
    return int(match.group(1)) if match else (1 if style_name == "Title" else 0)


def _xlsx(data: bytes, limits: ReadLimits) -> tuple[str, ContentType, str]:
    import openpyxl

    workbook = _office(
        data, limits, lambda f: openpyxl.load_workbook(f, read_only=True, data_only=True), "XLSX"
    )
    try:
        pieces = _Pieces(limits.max_chars)
        cells = 0
        stopped = ""
        for sheet in workbook.worksheets:
            state = "" if sheet.sheet_state == "visible" else f" ({sheet.sheet_state})"
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > limits.max_cells:
                    stopped = f"Reading stopped at {limits.max_cells:,} cells."
                    break
                values = _trimmed(row)
                if values:
                    writer.writerow(values)
                if out.tell() > limits.max_chars:
                    break
            if not pieces.add(f"--- sheet {sheet.title}{state} ---\n{out.getvalue().rstrip()}") or stopped:
                break
    finally:
        workbook.close()
    return pieces.text(), "text", _join(stopped, pieces.note("sheets"))


def _trimmed(row: Iterable[Any]) -> list[str]:
    values = ["" if v is None else str(v) for v in row]
    while values and not values[-1]:
        values.pop()
    return values


def _pptx(data: bytes, limits: ReadLimits) -> tuple[str, ContentType, str]:
    import pptx

    presentation = _office(data, limits, pptx.Presentation, "PPTX")
    slides = list(presentation.slides)
    _check_count(len(slides), "slides", limits)
    pieces = _Pieces(limits.max_chars)
    for number, slide in enumerate(slides, start=1):
        hidden = " (hidden)" if slide._element.get("show") == "0" else ""
        lines = [f"--- slide {number} of {len(slides)}{hidden} ---", *_shape_texts(slide.shapes)]
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                lines.append(f"Notes: {notes.text}")
        if not pieces.add("\n".join(lines)):
            break
    return pieces.text(), "text", pieces.note("slides")


def _shape_texts(shapes: Iterable[Any]) -> Iterator[str]:
    for shape in shapes:
        if getattr(shape, "shapes", None) is not None:  # a group
            yield from _shape_texts(shape.shapes)
        elif getattr(shape, "has_table", False):
            for row in shape.table.rows:
                yield " | ".join(" ".join(cell.text.split()) for cell in row.cells)
        elif getattr(shape, "has_text_frame", False) and shape.text_frame.text.strip():
            yield shape.text_frame.text

"""Reading attachments below the tool: what a file is, the limits, the worker process, the cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gmail_mcp.actions.extraction import Extractor
from gmail_mcp.actions.reading import ReadAttachment, ReadCache
from gmail_mcp.config import ReadLimits
from gmail_mcp.content import documents
from gmail_mcp.content.documents import Document, Identified, identify, read
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, PermissionDeniedError
from gmail_mcp.models import AttachmentInfo
from tests import documents as files
from tests.conftest import FakeClock

LIMITS = ReadLimits()


@pytest.mark.parametrize(
    ("data", "declared", "filename", "expected"),
    [
        (files.pdf(["x"]), "text/csv", "totals.csv", Identified("pdf", "application/pdf")),
        (files.png(), "application/octet-stream", "scan", Identified("image", "image/png")),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/png", "a.png", Identified("image", "image/jpeg")),
        (b"GIF89a" + b"\x00" * 20, "", "a.gif", Identified("image", "image/gif")),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "", "a.webp", Identified("image", "image/webp")),
        (files.docx(["x"]), "application/octet-stream", "memo.docx", Identified("docx", files.DOCX)),
        (files.xlsx([[1]]), files.XLSX, "data", Identified("xlsx", files.XLSX)),
        (b"a,b\n1,2\n", "application/octet-stream", "rows.csv", Identified("text", "text/csv")),
        (b"a,b\n", "text/csv; charset=utf-8", "x", Identified("text", "text/csv")),
        (b'{"a": 1}', "application/json", "a", Identified("text", "application/json")),
        (b"BEGIN:VCALENDAR", "application/octet-stream", "invite.ics", Identified("text", "text/calendar")),
        (b"<p>hi</p>", "text/html", "page", Identified("html", "text/html")),
        (b"From: a@b\r\n\r\nhi", "message/rfc822", "fwd.eml", Identified("message", "message/rfc822")),
        (b"plain words", "application/octet-stream", "README", Identified("text", "text/plain")),
        ("é".encode("utf-16"), "text/plain", "u16.txt", Identified("text", "text/plain")),
    ],
)
def test_what_a_file_is_is_read_from_its_bytes_first(
    data: bytes, declared: str, filename: str, expected: Identified
) -> None:
    assert identify(data, declared, filename) == expected


@pytest.mark.parametrize(
    ("data", "declared", "filename", "why"),
    [
        (b"PK\x03\x04" + b"\x00" * 30, "application/zip", "all.zip", "a zip archive"),
        (
            b"just text",
            "application/pdf",
            "invoice.pdf",
            "declared as application/pdf but its bytes are not one",
        ),
        (b"just text", "image/png", "photo.png", "declared as image/png but its bytes are not one"),
        (b"a\x00b\x00c", "text/plain", "notes.txt", "binary data (text/plain)"),
        (
            b"\xde\xad\xbe\xef" * 8,
            "application/octet-stream",
            "blob",
            "binary data (application/octet-stream)",
        ),
    ],
)
def test_what_cannot_be_read_is_binary_and_says_what_it_is(
    data: bytes, declared: str, filename: str, why: str
) -> None:
    assert identify(data, declared, filename) == Identified("binary", "application/octet-stream", why)


def test_text_is_decoded_by_its_charset_and_cleaned_of_hiding_characters() -> None:
    data = "Straße\u200b total\u202e: 12 €\r\n\x07".encode("cp1252", errors="ignore")
    document = read(Identified("text", "text/plain"), data, "windows-1252", LIMITS)
    assert document == Document("Straße total: 12 €", "text", "text/plain")


def test_text_past_the_character_limit_is_cut_and_said_so() -> None:
    document = read(Identified("text", "text/plain"), b"x" * 50, None, ReadLimits(max_chars=20))
    assert (document.text, document.note) == ("x" * 20, "Only the first 20 characters were kept.")


def test_a_forwarded_message_reads_with_its_headers() -> None:
    raw = b"From: Bo <bo@example.com>\r\nSubject: Plan\r\nContent-Type: text/plain\r\n\r\nShip it Friday.\r\n"
    document = read(Identified("message", "message/rfc822"), raw, None, LIMITS)
    assert document.text == "From: Bo <bo@example.com>\nSubject: Plan\n\nShip it Friday."


def test_a_spreadsheet_stops_at_the_cell_limit() -> None:
    data = files.xlsx([[i, i + 1, i + 2] for i in range(100)])
    document = read(Identified("xlsx", files.XLSX), data, None, ReadLimits(max_cells=30))
    assert document.text == "--- sheet Budget ---\n" + "\n".join(f"{i},{i + 1},{i + 2}" for i in range(10))
    assert document.note == "Reading stopped at 30 cells."


def test_a_presentation_with_more_slides_than_the_limit_is_refused() -> None:
    data = files.pptx([(f"Slide {i}", "body") for i in range(3)])
    with pytest.raises(PermissionDeniedError) as refused:
        read(Identified("pptx", files.PPTX), data, None, ReadLimits(max_pages=2))
    assert refused.value.details == {"count": 3, "limit": 2}


def test_a_long_pdf_stops_at_the_text_limit_with_a_note() -> None:
    data = files.pdf([f"page {i} " + "word " * 30 for i in range(20)])
    document = read(Identified("pdf", "application/pdf"), data, None, ReadLimits(max_chars=500))
    assert document.note == "Reading stopped after 3 pages. Only the first 500 characters were kept."
    assert document.text.startswith("--- page 1 of 20 ---\npage 0 word")


@pytest.mark.parametrize(
    ("data", "limits", "message"),
    [
        (files.zip_bomb(8 * 1024 * 1024), LIMITS, "compressed 1,0"),
        (files.lying_zip(300 * 1024 * 1024), LIMITS, "would expand to 314,"),
        (files.docx(["x"]), ReadLimits(max_members=3), "holds "),
    ],
)
def test_archives_past_their_limits_are_refused_before_parsing(
    data: bytes, limits: ReadLimits, message: str
) -> None:
    with pytest.raises(PermissionDeniedError, match=message):
        documents.check_archive(data, limits)


@pytest.mark.parametrize(
    ("reader", "data"),
    [("pdf", b"%PDF-1.4\ngarbage"), ("docx", b"PK\x03\x04garbage"), ("pptx", files.docx(["a"]))],
)
def test_damaged_documents_are_invalid_params(reader: str, data: bytes) -> None:
    with pytest.raises(InvalidParamsError):
        read(Identified(reader, "x"), data, None, LIMITS)  # type: ignore[arg-type]


# --- the worker process --------------------------------------------------------------------------


def test_a_worker_reads_a_pdf_in_its_own_process() -> None:
    document = Extractor(LIMITS).read(Identified("pdf", "application/pdf"), files.pdf(["Hello"]), None)
    assert document == Document("--- page 1 of 1 ---\nHello", "text", "application/pdf")


def test_a_worker_that_hangs_is_killed_at_the_deadline() -> None:
    hangs = (sys.executable, "-c", "import time; time.sleep(60)")
    extractor = Extractor(ReadLimits(seconds=0.5), command=hangs)
    with pytest.raises(PermissionDeniedError) as refused:
        extractor.read(Identified("pdf", "application/pdf"), b"%PDF-", None)
    assert refused.value.details == {"limit_seconds": 0.5}


def test_a_worker_that_crashes_is_reported_as_a_file_it_could_not_read() -> None:
    crashes = (sys.executable, "-c", "import os; os.abort()")
    with pytest.raises(InvalidParamsError) as refused:
        Extractor(LIMITS, command=crashes).read(Identified("docx", files.DOCX), b"PK", None)
    assert refused.value.details["exit_status"] < 0


@pytest.mark.skipif(sys.platform != "linux", reason="the address-space cap and its reading are Linux's")
def test_a_document_needing_more_memory_than_the_cap_is_refused() -> None:
    data = files.docx_of_size(100_000)  # 6.7 MB of XML: far more than 60 MB once parsed
    with pytest.raises(PermissionDeniedError, match="memory"):
        Extractor(ReadLimits(memory_bytes=60 * 1024 * 1024)).read(Identified("docx", files.DOCX), data, None)


def test_text_and_images_are_read_in_the_server_itself() -> None:
    never = (sys.executable, "-c", "raise SystemExit(9)")
    document = Extractor(LIMITS, command=never).read(Identified("text", "text/plain"), b"hi", None)
    assert document.text == "hi"


# --- the cache -----------------------------------------------------------------------------------


def entry(email_id: str, text: str) -> ReadAttachment:
    info = AttachmentInfo(filename="a.txt", mime_type="text/plain", size=len(text), part_id="1")
    return ReadAttachment(email_id, info, Document(text, "text", "text/plain"))


def test_the_cache_answers_by_any_name_given_and_forgets_after_its_age(fake_clock: FakeClock) -> None:
    cache = ReadCache(10_000, 600, clock=fake_clock)
    found = entry("m1", "hello")
    cache.put(found, ["ANGj-old-id", "part:1", "1"])
    assert cache.get("m1", " part:1 ") is found and cache.get("m1", "ANGj-old-id") is found
    assert cache.get("m2", "part:1") is None
    fake_clock.advance(601)
    assert cache.get("m1", "1") is None


def test_the_cache_keeps_within_its_bytes_dropping_the_oldest(fake_clock: FakeClock) -> None:
    one, two, three = (entry(f"m{i}", "x" * 1000) for i in range(3))
    cache = ReadCache(2 * one.document.weight, 600, clock=fake_clock)
    for found in (one, two, three):
        cache.put(found, ["1", "part:1"])
    assert [cache.get(f"m{i}", "1") for i in range(3)] == [None, two, three]
    huge = entry("m9", "x" * 10_000)
    cache.put(huge, ["1"])
    assert cache.get("m9", "1") is None and cache.get("m2", "1") is three


def test_worker_errors_keep_their_code() -> None:
    data = files.pdf(["x"], repeat_kids=50)
    with pytest.raises(GmailMcpError) as refused:
        Extractor(ReadLimits(max_pages=10)).read(Identified("pdf", "application/pdf"), data, None)
    assert (refused.value.code, refused.value.details) == ("PERMISSION_DENIED", {"count": 50, "limit": 10})


def test_the_worker_gets_none_of_the_servers_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_MCP_HTTP_TOKEN", "s3cret-token-of-the-server-0123456789")
    shows = (
        sys.executable,
        "-c",
        'import json, os, sys; sys.stdin.buffer.read(); print(json.dumps({"text": json.dumps(dict(os.environ)), '
        '"content_type": "text", "mime_type": "application/pdf"}))',
    )
    document = Extractor(LIMITS, command=shows).read(Identified("pdf", "application/pdf"), b"%PDF-", None)
    assert "s3cret" not in document.text and "PATH" in document.text


@pytest.mark.skipif(sys.platform != "linux", reason="the file-size cap is POSIX's")
def test_a_confined_worker_writes_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START", "COVERAGE_CORE"):
        monkeypatch.delenv(name, raising=False)  # unmeasured, as in use: coverage needs to write
    target = tmp_path / "dropped"
    writes = (
        sys.executable,
        "-c",
        "import sys; from gmail_mcp.actions import extraction as e; from gmail_mcp.config import ReadLimits; "
        f"e._confine(ReadLimits(), may_write=e._measured()); open({str(target)!r}, 'wb').write(b'x' * 10)",
    )
    with pytest.raises(InvalidParamsError, match="stopped"):
        Extractor(LIMITS, command=writes).read(Identified("pdf", "application/pdf"), b"%PDF-", None)
    assert target.stat().st_size == 0


def test_coverage_measures_the_worker_but_hands_it_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COVERAGE_CORE", "ctrace")
    monkeypatch.setenv("GMAIL_MCP_IMAP_PASSWORD", "s3cret-password")
    shows = (
        sys.executable,
        "-c",
        'import json, os, sys; sys.stdin.buffer.read(); print(json.dumps({"text": json.dumps(dict(os.environ)), '
        '"content_type": "text", "mime_type": "application/pdf"}))',
    )
    document = Extractor(LIMITS, command=shows).read(Identified("pdf", "application/pdf"), b"%PDF-", None)
    assert '"COVERAGE_CORE": "ctrace"' in document.text and "s3cret" not in document.text


def test_a_worker_answer_of_the_wrong_shape_is_a_reader_failure() -> None:
    forged = (sys.executable, "-c", 'print(\'{"text": "x", "content_type": "image", "mime_type": "x"}\')')
    with pytest.raises(InvalidParamsError, match="stopped"):
        Extractor(LIMITS, command=forged).read(Identified("pdf", "application/pdf"), b"%PDF-", None)

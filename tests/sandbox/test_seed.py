"""The seed mailbox, checked through the standard library's own parser (never by echoing the seed's
constants): determinism, structure, charsets, attachments, threads and label counts."""

from __future__ import annotations

import base64
import csv
import email
import email.policy
import hashlib
import io
import os
import re
import struct
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import pytest

from gmail_mcp.sandbox.seed import OWNER, SeedData, SeedMessage, seed_data

SYSTEM_LABELS = {
    "INBOX", "UNREAD", "STARRED", "IMPORTANT", "SENT", "TRASH", "SPAM", "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS",
}  # fmt: skip
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_TLDS = (".example", ".test", ".invalid", ".localhost")
MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture(scope="module")
def data() -> SeedData:
    return seed_data()


@pytest.fixture(scope="module")
def mailbox(data: SeedData) -> list[tuple[SeedMessage, EmailMessage]]:
    return [(seeded, parse(seeded.raw)) for seeded in data.messages]


def with_subject(mailbox: list[tuple[SeedMessage, EmailMessage]], subject: str) -> EmailMessage:
    matches = [message for _, message in mailbox if str(message["Subject"]) == subject]
    assert len(matches) == 1, subject
    return matches[0]


def decoded_text(part: EmailMessage) -> str:
    """The part's text decoded strictly in its declared charset (get_content would hide errors)."""
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "us-ascii").replace("\r\n", "\n")


def body_text(message: EmailMessage) -> str:
    body = message.get_body(("plain", "html"))
    assert isinstance(body, EmailMessage)
    return decoded_text(body)


def leaves(message: EmailMessage) -> Iterator[EmailMessage]:
    """Every non-multipart part, not descending into attached messages."""
    if message.is_multipart():
        for part in message.iter_parts():
            assert isinstance(part, EmailMessage)
            yield from leaves(part)
    else:
        yield message


def attachments_of_type(
    mailbox: list[tuple[SeedMessage, EmailMessage]], content_type: str
) -> list[EmailMessage]:
    return [
        part
        for _, message in mailbox
        for part in leaves(message)
        if part.get_content_type() == content_type and part.get_content_disposition() == "attachment"
    ]


def payload(part: EmailMessage) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


# ------------------------------------------------------------------ determinism and shape


def test_two_calls_return_identical_mailboxes(data: SeedData) -> None:
    again = seed_data()
    assert again is not data
    assert again == data


def test_a_fresh_interpreter_with_another_hash_seed_builds_the_same_bytes(data: SeedData) -> None:
    script = (
        "import hashlib\n"
        "from gmail_mcp.sandbox.seed import seed_data\n"
        "d = seed_data()\n"
        "h = hashlib.sha256(repr(d).encode())\n"
        "print(h.hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Asia/Kolkata", "LC_ALL": "C"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == hashlib.sha256(repr(data).encode()).hexdigest()


def test_mailbox_has_at_least_sixty_messages_and_stays_small(data: SeedData) -> None:
    assert len(data.messages) >= 60
    assert sum(len(m.raw) for m in data.messages) + sum(len(d) for d in data.drafts) < 1_500_000


def test_message_ids_are_well_formed_and_unique(data: SeedData) -> None:
    ids = [str(parse(raw)["Message-ID"]) for raw in (*(m.raw for m in data.messages), *data.drafts)]
    assert all(MESSAGE_ID.fullmatch(value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_every_message_parses_cleanly_with_crlf_and_the_required_headers(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    for seeded, message in mailbox:
        head = seeded.raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii()
        assert seeded.raw.count(b"\n") == seeded.raw.count(b"\r\n")
        for name in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version"):
            assert message[name] is not None, name
            assert not message[name].defects, (name, message[name].defects)
        assert [part.defects for part in message.walk() if part.defects] == []


def test_dates_fall_in_the_seed_window_match_internal_dates_and_are_in_order(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC).timestamp() * 1000
    end = datetime(2026, 11, 21, tzinfo=UTC).timestamp() * 1000
    stamps = [seeded.internal_date_ms for seeded, _ in mailbox]
    assert stamps == sorted(stamps)
    for seeded, message in mailbox:
        assert parsedate_to_datetime(str(message["Date"])).timestamp() * 1000 == seeded.internal_date_ms
        assert start <= seeded.internal_date_ms < end


def test_every_address_is_at_a_reserved_domain(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    for _, message in mailbox:
        for _, address in getaddresses(
            [str(v) for n in ("From", "To", "Cc") for v in message.get_all(n, [])]
        ):
            domain = address.rpartition("@")[2].lower()
            reserved = domain.endswith(RESERVED_TLDS) or any(
                domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS
            )
            assert reserved, address


def test_every_text_part_decodes_strictly_in_its_declared_charset(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    for _, message in mailbox:
        for part in leaves(message):
            if part.get_content_maintype() == "text":
                assert "\ufffd" not in decoded_text(part)


# ------------------------------------------------------------------ charsets and encoded headers


@pytest.mark.parametrize(
    ("subject", "charset", "transfer", "raw_marker", "expected"),
    [
        (
            "Réunion à Lyon : café après ?",
            "iso-8859-1",
            "quoted-printable",
            b"br=FBlerie g=E9niale",
            "Il y a une brûlerie géniale près de la place des Célestins.",
        ),
        (
            "Ihr Angebot „Lounge-Set Fjord“ – 1.249 €",
            "windows-1252",
            "8bit",
            b"\x93Fjord\x94 lounge set is \x801,249",
            "our quote for the “Fjord” lounge set is €1,249 including",
        ),
        (
            "来週の打ち合わせについて",
            "iso-2022-jp",
            "7bit",
            b"\x1b$B",
            "１０月２１日（水）午前１０時（日本時間）からオンラインでいかがでしょうか。",
        ),
        (
            "Отчёт о нагрузочном тестировании синхронизации",
            "utf-8",
            "base64",
            b"Content-Transfer-Encoding: base64",
            "• Задержка p95: 120 мс, p99: 310 мс.",
        ),
    ],
)
def test_legacy_charset_bodies_decode_to_the_intended_text(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
    subject: str,
    charset: str,
    transfer: str,
    raw_marker: bytes,
    expected: str,
) -> None:
    message = with_subject(mailbox, subject)
    raw = next(seeded.raw for seeded, parsed in mailbox if parsed is message)
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    assert body.get_content_charset() == charset
    assert body["Content-Transfer-Encoding"] == transfer
    assert raw_marker in raw
    assert expected in decoded_text(body).replace("\n", " ").replace("  ", " ")


@pytest.mark.parametrize(
    ("sender", "display_name", "raw_prefix"),
    [
        ("tomas.ferreira@harborlabs.example", "Tomás Ferreira", b"=?ISO-8859-1?Q?"),
        ("j.vogel@vogel-moebel.example", "Jürgen Vogel", b"=?windows-1252?Q?"),
        ("eleni.p@aegean-conf.example", "Ελένη Παπαδοπούλου", b"=?ISO-8859-7?Q?"),
        ("wang.lei@jade-river.example", "王磊", b"=?UTF-8?B?"),
        ("hanako.yamada@sakura-trading.example", "山田 花子", b"=?ISO-2022-JP?B?"),
        ("d.sokolov@polar-soft.example", "Дмитрий Соколов", b"=?UTF-8?B?"),
    ],
)
def test_encoded_display_names_decode_to_unicode(
    mailbox: list[tuple[SeedMessage, EmailMessage]], sender: str, display_name: str, raw_prefix: bytes
) -> None:
    found = [(s, m) for s, m in mailbox if m["From"].addresses[0].addr_spec == sender]
    assert found
    for seeded, message in found:
        assert message["From"].addresses[0].display_name == display_name
        from_line = re.search(rb"^From: .*(?:\r\n[ \t].*)*", seeded.raw, re.MULTILINE)
        assert from_line is not None and raw_prefix in from_line.group(0)


@pytest.mark.parametrize(
    ("subject", "raw_prefix"),
    [
        ("🎉 Team lunch on Friday: the cutover is done!", b"Subject: =?UTF-8?B?"),
        ("Interview loop: Zoë Castillo (Senior Backend)", b"Subject: =?UTF-8?Q?"),
        ("Re: Interview loop: Zoë Castillo (Senior Backend)", b"Subject: Re: =?UTF-8?Q?"),
        ("来週の打ち合わせについて", b"Subject: =?ISO-2022-JP?B?"),
        ("Отчёт о нагрузочном тестировании синхронизации", b"Subject: =?UTF-8?B?"),
        ("Réunion à Lyon : café après ?", b"Subject: =?ISO-8859-1?Q?"),
    ],
)
def test_encoded_subjects_decode_to_unicode(
    mailbox: list[tuple[SeedMessage, EmailMessage]], subject: str, raw_prefix: bytes
) -> None:
    # Unfolded, since a long subject may continue on the next line.
    raws = [
        seeded.raw.replace(b"\r\n ", b" ")
        for seeded, message in mailbox
        if str(message["Subject"]) == subject
    ]
    assert raws
    assert all(raw_prefix in raw for raw in raws)


@pytest.mark.parametrize(
    ("filename", "raw_marker"),
    [
        ("Résumé – Zoë Castillo.pdf", b"filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%80%93%20Zo%C3%AB"),
        (
            "2026年第三季度发货报告（最终版）.txt",
            b"filename*0*=UTF-8''2026%E5%B9%B4%E7%AC%AC%E4%B8%89%E5%AD%A3;\r\n filename*1*=",
        ),
    ],
)
def test_rfc2231_filenames_decode_to_unicode(
    mailbox: list[tuple[SeedMessage, EmailMessage]], filename: str, raw_marker: bytes
) -> None:
    found = [
        (seeded, part)
        for seeded, message in mailbox
        for part in message.iter_attachments()
        if part.get_filename() == filename
    ]
    assert len(found) == 1
    seeded, part = found[0]
    assert raw_marker in seeded.raw
    assert payload(part)


# ------------------------------------------------------------------ attachments


def pdf_text(data: bytes) -> list[str]:
    """Check the PDF's structure (header, xref offsets, trailer) and return its text strings."""
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    start = re.search(rb"startxref\s+(\d+)", data)
    assert start is not None
    xref = int(start.group(1))
    assert data[xref : xref + 4] == b"xref"
    size = re.match(rb"xref\s+0 (\d+)", data[xref:])
    assert size is not None
    entries = re.findall(rb"(\d{10}) \d{5} n", data[xref:])
    assert len(entries) == int(size.group(1)) - 1
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number)
    return [text.decode("latin-1") for text in re.findall(rb"\((.*?)\) Tj", data)]


def png_size(data: bytes) -> tuple[int, int]:
    """Walk the PNG chunks (checking CRCs), inflate the image data and return (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: list[tuple[bytes, bytes]] = []
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks.append((kind, body))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (depth, colour) == (8, 2)
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    assert len(pixels) == height * (1 + 3 * width)
    return width, height


def test_pdf_attachments_are_valid_pdfs(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    pdfs = attachments_of_type(mailbox, "application/pdf")
    assert len(pdfs) >= 2
    texts = {part.get_filename(): pdf_text(payload(part)) for part in pdfs}
    assert "Total due                                     $129.00" in texts["Cloudnest-INV-2026-1001.pdf"]


def test_png_attachments_and_inline_images_are_valid_pngs(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    pngs = [
        part for _, message in mailbox for part in leaves(message) if part.get_content_type() == "image/png"
    ]
    assert {part.get_content_disposition() for part in pngs} == {"attachment", "inline"}
    assert {png_size(payload(part)) for part in pngs} == {(64, 40), (48, 32)}


def test_calendar_invite_carries_the_event(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    calendars = [
        part
        for _, message in mailbox
        for part in leaves(message)
        if part.get_content_type() == "text/calendar"
    ]
    assert len(calendars) == 1
    invite = calendars[0]
    assert invite.get_param("method") == "REQUEST"
    unfolded = decoded_text(invite).replace("\n ", "")
    fields = dict(line.split(":", 1) for line in unfolded.splitlines() if ":" in line and ";" not in line[:8])
    assert fields["SUMMARY"] == "Q4 planning review"
    assert fields["DTSTART"] == "20261008T170000Z"
    assert fields["DTEND"] == "20261008T183000Z"
    assert fields["LOCATION"] == "Harbor Labs HQ\\, Room 4B (Lighthouse)"
    assert re.search(r"^ORGANIZER;CN=Priya Raman:mailto:priya\.raman@harborlabs\.example$", unfolded, re.M)
    ics_files = attachments_of_type(mailbox, "application/ics")
    assert [payload(part).decode().replace("\r\n", "\n") for part in ics_files] == [decoded_text(invite)]


def test_forwarded_message_is_a_whole_attached_message(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    forwarded = [
        part
        for _, message in mailbox
        for part in message.walk()
        if part.get_content_type() == "message/rfc822"
    ]
    assert len(forwarded) == 1
    inner = forwarded[0].get_content()
    assert isinstance(inner, EmailMessage)
    assert inner["From"].addresses[0].addr_spec == "lena.hoffmann@brightpath.example"
    assert str(inner["Subject"]) == "Export to CSV times out for large workspaces"
    assert inner["Message-ID"] and inner["Date"]
    assert 'the "Export to CSV" button fails' in body_text(inner).replace("\n", " ")


def test_inline_image_is_referenced_by_cid_from_related_html(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    related = [
        part for _, m in mailbox for part in m.walk() if part.get_content_type() == "multipart/related"
    ]
    assert len(related) == 1
    html, image = list(related[0].iter_parts())
    assert isinstance(html, EmailMessage) and isinstance(image, EmailMessage)
    content_id = str(image["Content-ID"]).strip("<>")
    assert f'src="cid:{content_id}"' in decoded_text(html)
    assert image.get_content_disposition() == "inline"


def test_nested_multipart_has_alternative_beside_attachments(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    nested = [
        message
        for _, message in mailbox
        if message.get_content_type() == "multipart/mixed"
        and any(part.get_content_type() == "multipart/alternative" for part in message.iter_parts())
        and len(list(message.iter_attachments())) >= 2
    ]
    assert nested


def test_csv_and_txt_attachments_decode(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    sheets = attachments_of_type(mailbox, "text/csv")
    assert sheets
    for sheet in sheets:
        rows = list(csv.reader(io.StringIO(payload(sheet).decode("utf-8"))))
        assert len(rows) >= 3 and len({len(row) for row in rows}) == 1
    expenses = next(s for s in sheets if s.get_filename() == "expenses-2026-09.csv")
    amounts = [
        float(r["amount_usd"].replace(",", ""))
        for r in csv.DictReader(io.StringIO(payload(expenses).decode()))
    ]
    assert round(sum(amounts), 2) == 4776.95  # the total the covering email quotes
    notes = [
        part
        for part in attachments_of_type(mailbox, "text/plain")
        if part.get_filename() == "expense-notes.txt"
    ]
    assert len(notes) == 1 and "Lakeside" in payload(notes[0]).decode()


# ------------------------------------------------------------------ newsletters


class HtmlFacts(HTMLParser):
    """What a newsletter's HTML contains: links, images, hidden text and how deep tables nest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[dict[str, str]] = []
        self.hidden: list[str] = []
        self.table_depth = self.max_presentation_depth = 0
        self._hiding = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in found:
            self.links.append(found["href"])
        if tag == "img":
            self.images.append(found)
            return
        if tag == "table" and found.get("role") == "presentation":
            self.table_depth += 1
            self.max_presentation_depth = max(self.max_presentation_depth, self.table_depth)
        hides = "display:none" in found.get("style", "").replace(" ", "")
        self._stack.append(hides)
        self._hiding += hides

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.table_depth:
            self.table_depth -= 1
        if self._stack:
            self._hiding -= self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._hiding:
            self.hidden.append(data)


def html_facts(part: EmailMessage) -> HtmlFacts:
    facts = HtmlFacts()
    facts.feed(decoded_text(part))
    return facts


def test_marketing_html_has_the_hard_parts(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    html_only = [
        message
        for seeded, message in mailbox
        if "CATEGORY_PROMOTIONS" in seeded.system_labels and message.get_content_type() == "text/html"
    ]
    assert html_only
    for message in html_only:
        facts = html_facts(message)
        assert facts.max_presentation_depth >= 3
        assert any("\u200c" in text and "\u200b" in text for text in facts.hidden)
        assert any(img.get("width") == "1" and img.get("height") == "1" for img in facts.images)
        assert sum(len(link) > 150 for link in facts.links) >= 3
        assert any("unsubscribe" in link for link in facts.links)
        assert message["List-Unsubscribe"] is not None
        logos = [img["src"] for img in facts.images if img["src"].startswith("data:image/png;base64,")]
        assert len(logos) == 1
        assert png_size(base64.b64decode(logos[0].partition(",")[2])) == (16, 16)


def test_a_newsletter_text_part_only_points_to_the_browser(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    stubs: list[tuple[str, HtmlFacts]] = []
    for _, message in mailbox:
        if message.get_content_type() != "multipart/alternative":
            continue
        plain, html = message.get_body(("plain",)), message.get_body(("html",))
        assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
        if decoded_text(plain).startswith("View this email in your browser"):
            stubs.append((decoded_text(plain), html_facts(html)))
    assert stubs
    for stub, facts in stubs:
        assert len(stub) < 120 and len(facts.links) >= 3


# ------------------------------------------------------------------ threads


def test_reply_headers_chain_to_their_parents(
    data: SeedData, mailbox: list[tuple[SeedMessage, EmailMessage]]
) -> None:
    by_id = {str(message["Message-ID"]): message for _, message in mailbox}
    replies = [message for _, message in mailbox if message["In-Reply-To"]]
    assert len(replies) >= 15
    for message in replies:
        parent = by_id[str(message["In-Reply-To"])]
        parent_refs = str(parent["References"] or "").split()
        assert str(message["References"]).split() == [*parent_refs, str(parent["Message-ID"])]
        stripped = re.sub(r"^((re|fwd):\s*)+", "", str(parent["Subject"]), flags=re.I)
        assert re.fullmatch(r"(Re|RE): " + re.escape(stripped), str(message["Subject"]))


def threads(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> dict[str, list[tuple[SeedMessage, EmailMessage]]]:
    grouped: dict[str, list[tuple[SeedMessage, EmailMessage]]] = {}
    for seeded, message in mailbox:
        root = (str(message["References"] or "").split() or [str(message["Message-ID"])])[0]
        grouped.setdefault(root, []).append((seeded, message))
    return grouped


def test_one_thread_has_exactly_ten_messages_with_the_owner_replying(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    tens = [members for members in threads(mailbox).values() if len(members) == 10]
    assert len(tens) == 1
    members = tens[0]
    for depth, (_, message) in enumerate(members):
        assert len(str(message["References"] or "").split()) == depth
    owner_sent = [s for s, m in members if m["From"].addresses[0].addr_spec == OWNER]
    assert owner_sent and all("SENT" in s.system_labels for s in owner_sent)


def test_several_threads_of_three_or_more_include_owner_replies(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    long_threads = [m for m in threads(mailbox).values() if len(m) >= 3]
    with_owner = [m for m in long_threads if any("SENT" in s.system_labels for s, _ in m)]
    assert len(long_threads) >= 4 and len(with_owner) >= 3


def test_a_thread_carries_gmail_and_outlook_quoted_history(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    bodies = [body_text(message) for _, message in mailbox if message["In-Reply-To"]]
    gmail = [b for b in bodies if re.search(r"^On .+, .+ <[^>]+> wrote:\n> ", b, re.M)]
    outlook = [
        b
        for b in bodies
        if re.search(r"^-----Original Message-----\nFrom: .+\nSent: .+\nTo: .+\nSubject: .+\n", b, re.M)
    ]
    assert gmail and outlook
    # The deepest reply quotes the Outlook block itself, two levels down.
    assert any(re.search(r"^> > -----Original Message-----$", b, re.M) for b in gmail)


# ------------------------------------------------------------------ special messages


def test_one_message_is_a_long_plain_text_report(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    lengths = [len(body_text(message)) for _, message in mailbox]
    long_ones = [n for n in lengths if n > 20_000]
    assert len(long_ones) == 1 and 55_000 <= long_ones[0] <= 65_000


def test_hidden_control_characters_are_in_a_subject_and_its_body(
    mailbox: list[tuple[SeedMessage, EmailMessage]],
) -> None:
    controls = {"\u200b", "\u202e", "\u2066"}
    found = [m for _, m in mailbox if controls <= set(str(m["Subject"])) and controls <= set(body_text(m))]
    assert len(found) == 1


def test_a_prompt_injection_targets_the_assistant(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    found = []
    for seeded, message in mailbox:
        text = body_text(message).lower()
        if "attacker@evil.example" in text:
            found.append((seeded, message, text))
    assert len(found) == 1
    seeded, message, text = found[0]
    for phrase in (
        "ai assistant",
        "ignore all previous instructions",
        "~/.ssh/id_rsa",
        ".env",
        "gmail-mcp token",
    ):
        assert phrase in text
    assert message["From"].addresses[0].addr_spec != OWNER
    assert {"INBOX", "UNREAD"} <= set(seeded.system_labels)


# ------------------------------------------------------------------ labels and flags


def test_labels_and_flags_cover_the_mailbox(
    data: SeedData, mailbox: list[tuple[SeedMessage, EmailMessage]]
) -> None:
    counts = Counter(label for seeded in data.messages for label in seeded.system_labels)
    assert set(counts) <= SYSTEM_LABELS
    assert sum({"INBOX", "UNREAD"} <= set(s.system_labels) for s in data.messages) >= 25
    assert counts["STARRED"] >= 2 and counts["IMPORTANT"] >= 2
    assert counts["TRASH"] >= 2 and counts["SPAM"] >= 2 and counts["SENT"] >= 5
    for category in ("PERSONAL", "SOCIAL", "PROMOTIONS", "UPDATES", "FORUMS"):
        assert counts[f"CATEGORY_{category}"] >= 1
    for seeded in data.messages:
        labels = set(seeded.system_labels)
        assert not ({"TRASH", "SPAM"} & labels and "INBOX" in labels)


def test_sent_means_from_the_owner(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    for seeded, message in mailbox:
        from_owner = message["From"].addresses[0].addr_spec == OWNER
        assert from_owner == ("SENT" in seeded.system_labels)


def test_user_labels_are_defined_nested_and_used(data: SeedData) -> None:
    names = [label.name for label in data.labels]
    assert len(names) >= 3 and len(set(names)) == len(names)
    nested = [name for name in names if "/" in name]
    assert nested and all(name.rpartition("/")[0] in names for name in nested)
    assert any(" " in name for name in names)
    used = Counter(name for seeded in data.messages for name in seeded.user_labels)
    assert set(used) <= set(names)
    assert len(used) >= 3
    colour = re.compile(r"#[0-9a-f]{6}")
    for label in data.labels:
        assert label.text_color is None or colour.fullmatch(label.text_color)
        assert label.background_color is None or colour.fullmatch(label.background_color)


def test_spam_reads_like_spam(mailbox: list[tuple[SeedMessage, EmailMessage]]) -> None:
    spam = [message for seeded, message in mailbox if "SPAM" in seeded.system_labels]
    for message in spam:
        shouting = re.findall(r"\b[A-Z]{4,}\b", str(message["Subject"]) + body_text(message))
        assert len(shouting) >= 3


# ------------------------------------------------------------------ drafts


def test_drafts_parse_and_include_a_reply_and_an_attachment(
    data: SeedData, mailbox: list[tuple[SeedMessage, EmailMessage]]
) -> None:
    drafts = [parse(raw) for raw in data.drafts]
    assert len(drafts) >= 3
    seeded_ids = {str(message["Message-ID"]): message for _, message in mailbox}
    for draft in drafts:
        assert [part.defects for part in draft.walk() if part.defects] == []
        assert draft["From"].addresses[0].addr_spec == OWNER
    replies = [d for d in drafts if d["In-Reply-To"]]
    assert len(replies) == 1
    parent = seeded_ids[str(replies[0]["In-Reply-To"])]
    assert str(replies[0]["References"]).split()[-1] == str(parent["Message-ID"])
    assert str(replies[0]["Subject"]).removeprefix("Re: ") == re.sub(
        r"^((re|fwd):\s*)+", "", str(parent["Subject"]), flags=re.I
    )
    with_files = [d for d in drafts if list(d.iter_attachments())]
    assert len(with_files) == 1
    attached = next(with_files[0].iter_attachments())
    assert isinstance(attached, EmailMessage)
    assert pdf_text(payload(attached))

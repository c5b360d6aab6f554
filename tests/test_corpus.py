"""Real-world mail nobody on this project wrote (shared/corpus/mail-parser): every message parses,
reads and lists its attachments; every HTML part renders keeping its visible links.

The expectations below were derived by reading the .eml files (headers, MIME structure, decoded
text), not by running this code. Unnamed attachments follow list_attachments' documented naming
("attachment-<part id><ext>"; "<inner subject>.txt" for returned headers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from gmail_mcp.content import mime
from gmail_mcp.content.htmlmd import html_to_markdown
from gmail_mcp.content.mimetree import part_charset
from gmail_mcp.models import MimePart
from tests.helpers import CORPUS, HAVE_CORPUS

pytestmark = pytest.mark.corpus


@dataclass(frozen=True)
class Expected:
    subject: str
    sender: tuple[str, str]
    phrases: tuple[str, ...]
    attachments: tuple[str, ...] = ()
    damaged_bytes: int = 0  # undecodable byte sequences in the source itself, shown as U+FFFD


EXPECTED: dict[str, Expected] = {
    "mail_malformed_1.eml": Expected(
        "immagine", ("", "femucca@tin.it"), ("Sent from my iPhone",), ("20160523_916527.jpg_.zip",)
    ),
    "mail_malformed_2.eml": Expected(
        "Delivery failure (abh@netpar.com.br)",
        ("", "postmaster@netpar.com.br"),
        ("Your message has encountered delivery problems", "User's mailbox quota exceeded"),
        ("DSN57BAC498.txt", "Trabajo perfecto a distancia.txt"),
    ),
    "mail_malformed_3.eml": Expected(
        "Ahorre Dinero en su Recibo de Luz",
        ("El Punto de los Frutos & Verdes", "smgsiso@yahoo.com.mx"),
        ("Secador Toallero Térmico", "Descripción del Producto"),
    ),
    "mail_test_1.eml": Expected(
        "письмо уведом-е",
        ("служба ФНС Даниил Суворов", "suvorov.s@nalg.ru"),
        ("Информируем Вас об имеющейся задолженности", "Егор Суворов"),
        ("ФНС_РФ558.zip",),
    ),
    "mail_test_10.eml": Expected(
        "*** ATTENZIONE *** - Modelli POWER7+ inclusi nella campagna Move To Eight",
        ("Nicoletta Bernasconi", "nicoletta_bernasconi@it.ibm.com"),
        ("vi segnalo che oggi è stato annunciato", "Società con unico azionista"),
        ("attachment-0.1.gif", "attachment-0.2.gif", "attachment-0.3.gif", "Move To Eight ZWEP6227F.pdf"),
    ),
    "mail_test_11.eml": Expected(
        "письмо уведом-е",
        ("служба ФНС Даниил Суворов", "suvorov.s@nalg.ru"),
        ("Информируем Вас об имеющейся задолженности",),
        (
            "Prokuratura Rejonowa Warszawa-Śródmieście północ sygn. 2Ds. 137414 - RSK pracowników Skarbowych "
            "NSZZ Solidarność - Zarządzenie o odmowie dopuszczenia SOWP do udziału w postepowaniu.pdf",
        ),
    ),
    "mail_test_12.eml": Expected(
        "代开各地增值税发票", ("张先生", "baoguan@hotmail.com"), ("我公司可代开各类增值税发票", "张经理")
    ),
    "mail_test_13.eml": Expected(
        "New Webinar: So, You Have A Disaster... Now What?",
        ("Continuity Insights", "info@continuityinsights.com"),
        ("Register Today for This FREE Essential Webinar", "Tom Serio"),
    ),
    "mail_test_14.eml": Expected(
        "Test", ("", "example@example.com"), ("HTML here", "Plaintext here."), ("attachment-1.png",)
    ),
    "mail_test_15.eml": Expected(
        "Urgent Request for Order Quotation",
        ("purchasing@aquillaindustries.com", "do-not-reply@ncs.gov.ng"),
        ("You are invited to give your price", "Aquilla Industries"),
        ("REQUEST FOR QUOTE.zip",),
    ),
    "mail_test_16.eml": Expected(
        "Test spam mail (GTUBE)",
        ("Sender", "sender@example.net"),
        ("This is the GTUBE", "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"),
    ),
    "mail_test_17.eml": Expected(
        "Transferencia Interbancaria Banca en Línea",
        ("notificaccion-clientes@bbva.mx", "notificaccion-clientes@bbva.mx"),  # an encoded name, the address
        ("Test",),
    ),
    "mail_test_18.eml": Expected(
        "Test for Comma and Name Bugs",
        ("LastßlName, FirstName", "comma.name@example.com"),
        ("This is a test email body.",),
    ),
    "mail_test_19.eml": Expected(
        "Test email with email address as display name",
        ("alice@example.com", "bob@example.com"),
        ("the display name is itself",),
    ),
    "mail_test_2.eml": Expected(
        "Bollettino Meteorologico del 29/11/2015",
        ("", "meteo@regione.vda.it"),
        ("Pressione rilevata ad Aosta", "Domani e martedì la rimonta"),
        ("intestazione.jpg", "logometeo.jpg", "Bollettino.pdf"),
    ),
    "mail_test_3.eml": Expected(
        "Hi there",
        ("Ava Oneil", "Oneil.844@randtelekom.com.tr"),
        ("I am sending you the bills of the goods",),
        ("message.txt",),
    ),
    "mail_test_4.eml": Expected(
        "PI",
        ("Anabel Gonzalo", "anabelgonzalo@fanox.com"),
        ("We have made the payment of USD 103,349,35", "Parque Tecnológico de Bizkaia"),
        ("img1.jpg", "Payment Invoice.zip"),
    ),
    "mail_test_5.eml": Expected(
        "Je prépare mon été zéro complexe !",
        ("Marina de Carlance", "contact@carlance.fr"),
        ("Offre valable du 8 mars au 8 avril 2017",),
        (
            "mailingassets_d68799cd6301c7f5731a3c42946e528bcb78eb84.jpg",
            "mailingassets_a9ed45ff2645cff7fca702b289bc684b1bc72e2a.png",
            "mailingassets_0e4def97310df75c2fa6e0db8fe67b79d130b3c3.png",
            "mailingassets_228b182da05725833a4003dcbd8f6fe67956ad40.png",
            "mailingassets_4545af8d596bb510a1181c9a3be0460bc5718649.png",
        ),
    ),
    "mail_test_6.eml": Expected(
        "Быстрее вкладывайте в золото!",
        ("Время пришло", "noreply@ggg.com"),
        ("ведущая деловая сеть России",),
        ("attachment-1.png", "attachment-2.png", "attachment-3.png", "attachment-4.png"),
        damaged_bytes=1,  # "\xd1f.\xd0\xba." where "т.к." was meant
    ),
    "mail_test_7.eml": Expected(
        "I: Ordine",
        ("Mariachiara Geronazzo", "geronazzo@voidstudicom.it"),
        (
            "mi puoi dire se il mio cliente deve fare questa dichiarazione?",
            "Commercialista - Revisore Contabile",
            "Mi dai un occhio alla presente",  # the forwarded order ("I:" is Italian Outlook's "Fwd:")
        ),
        (
            "image001.jpg",
            "att24916.htm",
            "image002.jpg",
            "att09558.htm",
            "image003.jpg",
            "att04803.htm",
            "20170609091403417.pdf",
            "att18831.htm",
        ),
    ),
    "mail_test_8.eml": Expected(
        "Have you ever wanted to land on an Aircraft Carrier",
        ("Helicopter_flight_simulator", "Helicopter_flight_simulator@moneytrack.top"),
        ("The Perfect Filler Between Real World Flying",),
    ),
    "mail_test_9.eml": Expected(
        "我把镜头拉近些，你们看看这个是什么屄，这种场合自然少不了内射",
        ("xwfcpggy", "zyb@sgis.com.cn"),
        ("go2buy.com.cn",),
    ),
}

# The expectations name the files, so the tests are the same with or without the corpus (then skipped).
MESSAGES = sorted(EXPECTED)
# UTF-8 read as Latin-1 ("Ã©", "Ð¸").
MOJIBAKE = re.compile(r"[ÃÐÑÂ][\x80-\xbf]")


def read(name: str) -> MimePart:
    return mime.parse_rfc822((CORPUS / name).read_bytes())


def test_every_corpus_message_has_an_expectation() -> None:
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == MESSAGES


@pytest.mark.parametrize("name", MESSAGES)
def test_corpus_message_reads_with_subject_sender_text_and_attachments(name: str) -> None:
    expected = EXPECTED[name]
    root = read(name)

    body = mime.extract_body(root)
    attachments = mime.list_attachments(root)

    subject = mime.decode_header(root.header("Subject"))
    assert subject == expected.subject
    assert mime.decode_addresses(root.header("From")) == [expected.sender]
    for phrase in expected.phrases:
        assert phrase in body.content
    assert not MOJIBAKE.search(subject + body.content)
    assert (subject + body.content).count("\ufffd") == expected.damaged_bytes
    assert tuple(a.filename for a in attachments) == expected.attachments


@pytest.mark.parametrize("name", MESSAGES)
@pytest.mark.parametrize("format", ["text", "html"])
def test_corpus_message_reads_in_every_format(name: str, format: str) -> None:
    body = mime.extract_body(read(name), format=format, include_quoted=True)  # type: ignore[arg-type]

    assert body.content_type in ("text", "markdown", "html")


# --- the HTML parts ----------------------------------------------------------------------------
# Visibility is computed here independently of htmlmd, from the same rules a reader's eye applies.

_NEVER_SHOWN = {"head", "title", "script", "style", "template", "noscript", "meta", "link"}


def _declarations(node: LexborNode) -> dict[str, str]:
    pairs = (d.split(":", 1) for d in (node.attributes.get("style") or "").lower().split(";") if ":" in d)
    return {k.strip(): v.replace("!important", "").strip() for k, v in pairs}


def _hidden_here(node: LexborNode) -> bool:
    if node.tag in _NEVER_SHOWN or "hidden" in node.attributes:
        return True
    css = _declarations(node)
    clipped = css.get("overflow") == "hidden" and any(
        re.fullmatch(r"0+(px|pt|em|%)?", css.get(k, "")) for k in ("max-height", "height")
    )
    off_screen = css.get("position") in ("absolute", "fixed") and any(
        re.fullmatch(r"-\d{3,}(px)?", css.get(k, "")) for k in ("top", "left")
    )
    return (
        css.get("display") == "none"
        or css.get("visibility") == "hidden"
        or css.get("opacity") in ("0", "0.0")
        or css.get("mso-hide") == "all"
        or clipped
        or off_screen
    )


def _hidden(node: LexborNode) -> bool:
    current: LexborNode | None = node
    while current is not None:
        if _hidden_here(current):
            return True
        current = current.parent
    return False


def _pixel(img: LexborNode) -> bool:
    sizes = [img.attributes.get("width") or "", img.attributes.get("height") or ""]
    return any(re.fullmatch(r"\s*[0-2](px)?\s*", size) for size in sizes)


def visible_links(html: str) -> set[str]:
    """http(s) links with something a reader sees: text, or an image with alt text that is no pixel."""
    found = set()
    for anchor in LexborHTMLParser(html).css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href.lower().startswith(("http://", "https://")) or _hidden(anchor):
            continue
        images = [
            img for img in anchor.css("img") if not _pixel(img) and (img.attributes.get("alt") or "").strip()
        ]
        if anchor.text().strip() or images:
            found.add(href)
    return found


def hidden_texts(html: str) -> list[str]:
    """Sizeable text only inside hidden elements (and not also shown elsewhere)."""
    tree = LexborHTMLParser(html)
    body = tree.body
    if body is None:
        return []
    shown = " ".join(
        " ".join(n.text_content.split())
        for n in body.traverse(include_text=True)
        if n.is_text_node and n.text_content and not _hidden(n.parent)  # type: ignore[arg-type]
    )
    hidden = [
        " ".join(node.text().split())
        for node in body.css("[style], [hidden]")
        if _hidden_here(node) and node.tag not in _NEVER_SHOWN
    ]
    return [text for text in hidden if len(text) >= 20 and text not in shown]


def html_parts() -> list[tuple[str, str]]:
    """Every distinct text/html part of the corpus, decoded, with the first message it is in."""
    parts: dict[str, str] = {}
    for name in MESSAGES:
        for part in read(name).walk():
            if part.mime_type == "text/html" and part.data:
                parts.setdefault(mime.decode_bytes(part.data, part_charset(part)), name)
    return [(name, html) for html, name in parts.items()]


HTML_PARTS = html_parts() if HAVE_CORPUS else []


@pytest.mark.parametrize(
    ("name", "html"), HTML_PARTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(HTML_PARTS)]
)
def test_html_part_keeps_every_visible_link_and_drops_hidden_text_and_pixels(name: str, html: str) -> None:
    markdown = html_to_markdown(html)

    missing = {href for href in visible_links(html) if href not in markdown}
    assert not missing
    for text in hidden_texts(html):
        assert text not in " ".join(markdown.split())
    for img in LexborHTMLParser(html).css("img[src]"):
        assert (img.attributes.get("src") or "").strip() not in markdown


def test_corpus_html_renders_to_a_quarter_of_its_size() -> None:
    """Markdown characters over HTML characters, over the distinct HTML parts (the same HTML sent
    twice, as mail_test_1 and mail_test_11 do, is counted once)."""
    html_chars = sum(len(html) for _, html in HTML_PARTS)
    markdown_chars = sum(len(html_to_markdown(html)) for _, html in HTML_PARTS)

    ratio = markdown_chars / html_chars
    print(f"corpus HTML: {len(HTML_PARTS)} parts, {html_chars} chars -> {markdown_chars} chars ({ratio:.1%})")
    # 25.4 %: image links without alt text are kept (issue 15 allows +3 points over 23.9 %); their
    # long tracking URLs are the growth. The project aims at 25 %: do not let this creep.
    assert ratio <= 0.26

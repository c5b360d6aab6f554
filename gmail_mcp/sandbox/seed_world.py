"""Mail from abroad and from family and friends: legacy charsets (ISO-8859-1, Windows-1252,
ISO-2022-JP), UTF-8 base64, RFC 2047 names and subjects, RFC 2231 filenames, an inline cid: image."""

from __future__ import annotations

from .seed_files import garden_photo_png
from .seed_mime import (
    Mail,
    Stored,
    at,
    attachment,
    html_part,
    keep,
    multipart,
    prose,
    quote_gmail,
    reply,
    reply_all,
    text_part,
    webmail_body,
)
from .seed_people import (
    AMELIE,
    CHRIS,
    DMITRI,
    ELENI,
    HANAKO,
    HELEN,
    JORDAN,
    JURGEN,
    MEI,
    OWNER,
    PRIYA,
    RACHEL,
    WANG,
)


def latin1_note() -> Stored:
    """ISO-8859-1, quoted-printable body and Q-encoded subject and name."""
    mail = Mail(
        sender=AMELIE,
        to=(OWNER,),
        subject="Réunion à Lyon : café après ?",
        subject_charset="ISO-8859-1",
        subject_encoding="Q",
        sent_at=at("2026-10-02 07:48"),
        body=text_part(
            prose("""
                Salut Alex,

                Je serai à Lyon du 14 au 16 octobre pour la fête des lumières de l'atelier
                (oui, en avance cette année). Si ta réunion chez Sakura se confirme, on prend un
                café après ? Il y a une brûlerie géniale près de la place des Célestins.

                Sinon, on se voit à Noël à Paris, comme prévu.

                Bises,
                Amélie

                P.S. J'ai enfin réparé l'objectif : les photos de l'été sont nettes, à ma
                grande surprise !
            """),
            charset="ISO-8859-1",
            cte="quoted-printable",
        ),
    )
    return keep(mail, "INBOX UNREAD CATEGORY_PERSONAL")


def windows1252_quote() -> Stored:
    """Windows-1252 in 8bit: curly quotes, dashes, an ellipsis and euro signs."""
    mail = Mail(
        sender=JURGEN,
        to=(OWNER,),
        subject="Ihr Angebot „Lounge-Set Fjord“ – 1.249 €",
        subject_charset="windows-1252",
        subject_encoding="Q",
        sent_at=at("2026-10-07 09:12"),
        body=text_part(
            prose("""
                Sehr geehrter Herr Morgan,

                vielen Dank für Ihre Anfrage. Gerne bieten wir Ihnen das „Lounge-Set Fjord“ an:

                  2 × Sofa „Fjord“, Stoff anthrazit       je 489,00 €
                  1 × Couchtisch Eiche massiv                 271,00 €
                  Lieferung & Montage (Portland)            frei
                  ------------------------------------------------
                  Summe                                     1.249,00 €

                Lieferzeit: 4–6 Wochen ab Auftragsbestätigung. Das Angebot gilt bis 31.10.2026.

                (English summary: our quote for the “Fjord” lounge set is €1,249 including
                delivery and assembly; it’s valid until 31 October… just let me know.)

                Mit freundlichen Grüßen
                Jürgen Vogel
                Vogel Möbelwerkstatt – Büro & Objekt
            """),
            charset="windows-1252",
            cte="8bit",
        ),
        headers=(("X-Mailer", "Microsoft Outlook 15.0"),),
    )
    return keep(mail, "INBOX UNREAD CATEGORY_PERSONAL", "Work")


JAPANESE_BODY = prose("""
    モーガン様

    いつもお世話になっております。さくら商事の山田です。

    来週の打ち合わせの件でご連絡いたしました。
    １０月２１日（水）午前１０時（日本時間）からオンラインでいかがでしょうか。
    議題は以下のとおりです。

    １．データ同期サービスの導入スケジュール
    ２．東京リージョンでの遅延について
    ３．年間契約の更新

    ご都合をお知らせいただけますと幸いです。
    よろしくお願いいたします。

    山田 花子
    さくら商事株式会社 システム企画部
""")


def japanese_mail() -> Stored:
    """ISO-2022-JP body in 7bit and an ISO-2022-JP B-encoded subject and name."""
    mail = Mail(
        sender=HANAKO,
        to=(OWNER,),
        subject="来週の打ち合わせについて",
        subject_charset="ISO-2022-JP",
        subject_encoding="B",
        sent_at=at("2026-10-13 01:30"),
        body=text_part(JAPANESE_BODY, charset="ISO-2022-JP", cte="7bit"),
    )
    return keep(mail, "INBOX UNREAD CATEGORY_PERSONAL", "Work")


RUSSIAN_BODY = prose("""
    Добрый день, Алекс!

    Высылаю краткие итоги нагрузочного тестирования новой схемы синхронизации.

    • Пиковая нагрузка: 18 000 событий в секунду в течение 40 минут.
    • Задержка p95: 120 мс, p99: 310 мс.
    • Потерянных или повторных событий не обнаружено.
    • Узкое место — запись в журнал аудита при пиковой нагрузке.

    Полный отчёт пришлю в пятницу.

    (In short: 18k events/s for 40 minutes, p95 120 ms, no lost or duplicated events;
    the audit-log writer is the bottleneck. Full report on Friday.)

    С уважением,
    Дмитрий Соколов
    Polar Soft, отдел тестирования
""")


def russian_mail() -> Stored:
    """UTF-8 body in base64, with a B-encoded Cyrillic subject and display name."""
    mail = Mail(
        sender=DMITRI,
        to=(OWNER,),
        cc=(JORDAN,),
        subject="Отчёт о нагрузочном тестировании синхронизации",
        sent_at=at("2026-10-15 12:05"),
        body=text_part(RUSSIAN_BODY, cte="base64"),
    )
    return keep(mail, "INBOX UNREAD CATEGORY_PERSONAL", "Work/Projects")


def greek_mail() -> Stored:
    """A Q-encoded Greek display name; UTF-8 quoted-printable body."""
    mail = Mail(
        sender=ELENI,
        to=(OWNER,),
        subject="Your talk is accepted: Aegean DevConf 2026",
        sent_at=at("2026-09-03 10:20"),
        body=text_part(
            prose("""
                Καλημέρα Alex,

                Congratulations! Your talk "Moving sync off polling without losing a single
                event" has been accepted for Aegean DevConf 2026 in Thessaloniki.

                Slot: Friday 20 November, 11:30-12:10, Main Hall
                Speaker check-in: Thursday 19 November from 17:00, Ξενοδοχείο Μακεδονία Παλλάς

                Please confirm by 30 September and send your slides by 13 November.

                Ευχαριστούμε,
                Ελένη Παπαδοπούλου
                Programme committee
            """),
            cte="quoted-printable",
        ),
    )
    return keep(mail, "INBOX STARRED CATEGORY_PERSONAL", "Travel Plans")


SHIPMENT_REPORT = prose("""
    2026年第三季度发货报告（最终版）

    订单总数：1,284
    准时发货率：97.3%
    平均运输时间：6.2 天
    退货率：1.1%

    备注：九月下旬因台风影响，上海港延误三天。
""")


def chinese_mail() -> Stored:
    """A B-encoded Chinese display name and an attachment whose RFC 2231 filename is split in pieces
    (`filename*0*=` / `filename*1*=` ...)."""
    mail = Mail(
        sender=WANG,
        to=(OWNER,),
        subject="Q3 shipment report (final version)",
        sent_at=at("2026-10-09 03:15"),
        body=multipart(
            "mixed",
            text_part(
                prose("""
                    Dear Alex,

                    Please find attached our Q3 shipment report, final version. On-time shipping
                    was 97.3%; the only delay was at Shanghai port in late September (typhoon).

                    Best regards,
                    Wang Lei
                    Jade River Logistics
                """)
            ),
            attachment(
                SHIPMENT_REPORT.replace("\n", "\r\n").encode("utf-8"),
                "text/plain",
                "2026年第三季度发货报告（最终版）.txt",
                filename_segment=40,
                type_params='; charset="UTF-8"',
            ),
        ),
    )
    return keep(mail, "INBOX CATEGORY_PERSONAL", "Work")


def emoji_invite() -> Stored:
    """A B-encoded UTF-8 subject with an emoji."""
    mail = Mail(
        sender=MEI,
        to=(OWNER, JORDAN, PRIYA),
        subject="🎉 Team lunch on Friday: the cutover is done!",
        sent_at=at("2026-10-27 18:40"),
        body=webmail_body(
            prose("""
                Hi all,

                The stream has been serving 100% of reads for a week without a page, so let's
                celebrate. Friday 30 October, 12:30, at Pho Saigon on 5th. Harbor Labs pays.

                Reply with dietary needs by Thursday.

                Mei
            """)
        ),
    )
    return keep(mail, "INBOX UNREAD CATEGORY_PERSONAL")


def thanksgiving_thread() -> list[Stored]:
    """Four family messages; the owner replies once."""
    ask_text = prose("""
        Hi both,

        Thanksgiving is on the 26th this year. Mum, are we doing it at yours again? I can fly
        in on the Wednesday and bring the kids. Alex, can you make it down from Portland?

        Rachel
    """)
    ask = Mail(
        sender=RACHEL,
        to=(HELEN, OWNER),
        subject="Thanksgiving at Mum's this year?",
        sent_at=at("2026-10-19 00:12"),
        body=webmail_body(ask_text),
    )
    mum_text = prose("""
        Of course at mine! I'll do the turkey and the pies. Rachel, the kids can have the
        back bedroom. Alex, bring that nice bread from the bakery you like.

        Love, Mum
    """)
    mum = reply_all(
        ask,
        HELEN,
        "2026-10-19 15:30",
        webmail_body(mum_text + "\n" + quote_gmail(ask, ask_text, HELEN.zone, apple=True)),
    )
    alex_text = prose("""
        I'm in. I'll drive down on Wednesday evening and bring the bread and a salad.
        Mum, do you need anything from the city?

        Alex
    """)
    alex = reply_all(mum, OWNER, "2026-10-20 03:05", webmail_body(alex_text))
    last = reply_all(
        alex,
        RACHEL,
        "2026-10-20 13:47",
        webmail_body("Yay, everyone! I'll bring cranberry sauce and board games. Flights are booked.\n"),
    )
    return [
        keep(ask, "INBOX CATEGORY_PERSONAL", "Family"),
        keep(mum, "INBOX CATEGORY_PERSONAL", "Family"),
        keep(alex, "SENT", "Family"),
        keep(last, "INBOX UNREAD CATEGORY_PERSONAL", "Family"),
    ]


def garden_photos() -> Stored:
    """An HTML message showing an inline image by cid: (alternative > related(html, image))."""
    cid = "garden-photo-1@mail.example.org"
    text = prose("""
        Hello love,

        The dahlias finally came out! Photo below. The apple tree gave us nine kilos this
        year; I'm making chutney for everyone for Christmas.

        Love, Mum
    """)
    html = (
        '<html><body style="font-family:Georgia,serif">\n'
        "<p>Hello love,</p>\n"
        "<p>The dahlias finally came out! Photo below. The apple tree gave us nine kilos this year;"
        " I&#39;m making chutney for everyone for Christmas.</p>\n"
        f'<p><img src="cid:{cid}" alt="Dahlias in the back garden" width="480" height="320"></p>\n'
        "<p>Love, Mum</p>\n</body></html>\n"
    )
    mail = Mail(
        sender=HELEN,
        to=(OWNER,),
        subject="Photos from the garden",
        sent_at=at("2026-10-04 19:22"),
        body=multipart(
            "alternative",
            text_part(text),
            multipart(
                "related",
                html_part(html),
                attachment(garden_photo_png(), "image/png", "dahlias.png", inline=True, content_id=cid),
                type_params='; type="text/html"',
            ),
        ),
        headers=(("X-Mailer", "Apple Mail (2.3774.600.62)"),),
    )
    return keep(mail, "INBOX UNREAD STARRED CATEGORY_PERSONAL", "Family")


def climbing_thread() -> list[Stored]:
    """Three messages with a friend; the owner answers in the middle."""
    ask = Mail(
        sender=CHRIS,
        to=(OWNER,),
        subject="Climbing Saturday?",
        sent_at=at("2026-09-30 22:10"),
        body=text_part(
            prose("""
                Hey Alex,

                Smith Rock on Saturday? Forecast says 18 degrees and dry. I can pick you up at
                6:30 if you want to beat the crowds at the Dihedrals.

                Chris
            """)
        ),
    )
    yes = reply(
        ask,
        OWNER,
        "2026-10-01 02:44",
        webmail_body("6:30 is brutal but yes. I'll bring the 70 m rope and coffee.\n"),
    )
    done = reply(
        yes,
        CHRIS,
        "2026-10-01 04:02",
        text_part("Deal. Bring your headlamp too, we'll be back after dark.\n\nC\n"),
    )
    return [
        keep(ask, "INBOX CATEGORY_PERSONAL"),
        keep(yes, "SENT"),
        keep(done, "INBOX UNREAD CATEGORY_PERSONAL"),
    ]


def book_tip() -> Stored:
    """A plain message the owner sent (no replies)."""
    mail = Mail(
        sender=OWNER,
        to=(CHRIS,),
        subject="That book I mentioned",
        sent_at=at("2026-10-11 20:30"),
        body=webmail_body(
            prose("""
                Chris,

                The book I was going on about on the drive back: "The Long Way Down" by
                Marisol Tan. The chapter on the 1978 Eiger attempt alone is worth it.

                Alex
            """)
        ),
    )
    return keep(mail, "SENT")


def world_mail() -> list[Stored]:
    """All mail from abroad, family and friends."""
    return [
        latin1_note(),
        windows1252_quote(),
        japanese_mail(),
        russian_mail(),
        greek_mail(),
        chinese_mail(),
        emoji_invite(),
        *thanksgiving_thread(),
        garden_photos(),
        *climbing_thread(),
        book_tip(),
    ]

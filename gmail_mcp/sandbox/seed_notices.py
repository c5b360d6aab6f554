"""Automated mail: receipts and an invoice PDF, travel bookings, social and service notifications,
a mailing-list thread, spam, and a verification code that went to the trash."""

from __future__ import annotations

from .seed_files import make_pdf
from .seed_mime import (
    Mail,
    Person,
    Stored,
    alternative,
    at,
    attachment,
    keep,
    multipart,
    prose,
    reply,
    text_part,
)
from .seed_people import (
    ACCOUNTS,
    CHIRPER,
    CLOUDNEST,
    CODEHARBOR,
    FERNWOOD,
    HARBORVIEW,
    INGRID,
    KESTREL,
    LINKWAVE,
    LOTTERY,
    OWNER,
    PHISHER,
    PY_USERS,
    RAVI,
    SKYWARD,
)


def notice(
    sender: Person,
    sent_at: str,
    subject: str,
    text: str,
    html: str,
    headers: tuple[tuple[str, str], ...] = (),
) -> Mail:
    """An automated multipart/alternative message to the owner (`text` is dedented)."""
    return Mail(
        sender=sender,
        to=(OWNER,),
        subject=subject,
        sent_at=at(sent_at),
        body=alternative(prose(text), html),
        headers=headers,
    )


CODEHARBOR_LIST = (("List-ID", "harborlabs/sync-service <sync-service.harborlabs.codeharbor.example>"),)


def receipts() -> list[Stored]:
    """An order receipt with a real data table, and an invoice with a PDF attached."""
    rows = [
        ("Ridgeline 2.5L Rain Shell (M, Slate)", 1, "149.00"),
        ("Summit Merino Crew (M, Charcoal)", 2, "108.00"),
        ("Trail Socks 3-pack", 1, "24.00"),
    ]
    table = "\n".join(
        f"<tr><td>{name}</td><td align='right'>{qty}</td><td align='right'>${price}</td></tr>"
        for name, qty, price in rows
    )
    order = notice(
        KESTREL,
        "2026-09-20 18:42",
        "Your Kestrel Outfitters order #KO-58213 is confirmed",
        """
        Thanks for your order, Alex!

        Order #KO-58213 (placed 20 September 2026)

        Ridgeline 2.5L Rain Shell (M, Slate)   1   $149.00
        Summit Merino Crew (M, Charcoal)       2   $108.00
        Trail Socks 3-pack                     1    $24.00

        Subtotal $281.00 | Shipping $0.00 | Tax $0.00 | Total $281.00

        Track your order: https://www.kestrel-outfitters.example/orders/KO-58213
        """,
        "<html><body><h2>Thanks for your order, Alex!</h2><p>Order #KO-58213 (placed 20 September 2026)</p>\n"
        '<table border="1" cellpadding="6" cellspacing="0"><caption>Items</caption>\n'
        "<thead><tr><th>Item</th><th>Qty</th><th>Price</th></tr></thead>\n<tbody>\n"
        f"{table}\n</tbody>\n<tfoot><tr><th colspan='2' align='right'>Total</th>"
        "<td align='right'>$281.00</td></tr></tfoot></table>\n"
        '<p><a href="https://www.kestrel-outfitters.example/orders/KO-58213">Track your order</a></p>\n'
        "</body></html>\n",
    )
    invoice_pdf = make_pdf(
        "Cloudnest invoice INV-2026-1001",
        [
            "Billed to: Alex Morgan, Harbor Labs",
            "Period: 1 September 2026 - 30 September 2026",
            "Staging cluster sync-stg (3 nodes)            $96.00",
            "Object storage, 412 GB                         $21.40",
            "Egress, 116 GB                                 $11.60",
            "Total due                                     $129.00",
            "Paid by card ending 4417 on 1 October 2026. Thank you.",
        ],
    )
    invoice = Mail(
        sender=CLOUDNEST,
        to=(OWNER,),
        subject="Your Cloudnest invoice INV-2026-1001 ($129.00)",
        sent_at=at("2026-10-01 09:05"),
        body=multipart(
            "mixed",
            text_part(
                prose("""
                    Hello Alex,

                    Your invoice for September 2026 is attached. The total of $129.00 was charged
                    to the card ending 4417.

                    Cloudnest Billing
                """)
            ),
            attachment(invoice_pdf, "application/pdf", "Cloudnest-INV-2026-1001.pdf"),
        ),
    )
    return [
        keep(order, "INBOX CATEGORY_UPDATES", "Receipts"),
        keep(invoice, "INBOX CATEGORY_UPDATES", "Receipts"),
    ]


def travel() -> list[Stored]:
    """The conference trip: flight itinerary, hotel booking and a check-in reminder."""
    itinerary = notice(
        SKYWARD,
        "2026-09-28 19:33",
        "Your trip to Thessaloniki: booking ref QX7R4M",
        """
        Booking reference: QX7R4M
        Passenger: ALEX MORGAN

        SKW 118  Wed 18 Nov  PDX 07:10 -> AMS 03:05 (+1)  Seat 23C
        SKW 1564 Thu 19 Nov  AMS 06:40 -> SKG 11:05       Seat 14A
        SKW 1565 Sun 22 Nov  SKG 12:00 -> AMS 14:35       Seat 15C
        SKW 119  Sun 22 Nov  AMS 16:15 -> PDX 17:55       Seat 22D

        Manage booking: https://www.skywardair.example/manage?ref=QX7R4M&name=MORGAN
        """,
        "<html><body><h2>Booking reference QX7R4M</h2><table><tr><th>Flight</th><th>Date</th><th>Route</th>"
        "<th>Seat</th></tr>\n<tr><td>SKW 118</td><td>18 Nov</td><td>PDX &rarr; AMS</td><td>23C</td></tr>\n"
        "<tr><td>SKW 1564</td><td>19 Nov</td><td>AMS &rarr; SKG</td><td>14A</td></tr>\n"
        "<tr><td>SKW 1565</td><td>22 Nov</td><td>SKG &rarr; AMS</td><td>15C</td></tr>\n"
        "<tr><td>SKW 119</td><td>22 Nov</td><td>AMS &rarr; PDX</td><td>22D</td></tr></table>\n"
        '<p><a href="https://www.skywardair.example/manage?ref=QX7R4M&amp;name=MORGAN">Manage booking</a></p>'
        "</body></html>\n",
    )
    hotel = notice(
        HARBORVIEW,
        "2026-09-28 20:02",
        "Reservation confirmed: Harborview Hotel Thessaloniki, 19-22 Nov",
        """
        Dear Alex Morgan,

        Your reservation is confirmed.

        Confirmation number: HV-2026-88412
        Check-in: Thursday 19 November 2026, from 14:00
        Check-out: Sunday 22 November 2026, until 11:00
        Room: Superior double, sea view, breakfast included
        Total: EUR 486.00 (pay at the hotel)

        Free cancellation until 16 November 2026.
        """,
        "<html><body><p>Dear Alex Morgan,</p><p>Your reservation is confirmed.</p>\n"
        "<p>Confirmation number: <b>HV-2026-88412</b><br>Check-in: Thursday 19 November 2026<br>"
        "Check-out: Sunday 22 November 2026<br>Total: EUR 486.00</p></body></html>\n",
    )
    checkin = notice(
        SKYWARD,
        "2026-11-17 14:10",
        "Check-in is open for your flight to Amsterdam",
        """
        Hi Alex,

        Check-in is now open for SKW 118 from Portland (PDX) to Amsterdam (AMS) on
        Wednesday 18 November at 07:10.

        Check in: https://www.skywardair.example/checkin?ref=QX7R4M
        """,
        "<html><body><p>Hi Alex,</p><p>Check-in is now open for <b>SKW 118</b> PDX &rarr; AMS, "
        "18 November 07:10.</p>\n"
        '<p><a href="https://www.skywardair.example/checkin?ref=QX7R4M">Check in now</a></p></body></html>\n',
    )
    return [
        keep(itinerary, "INBOX STARRED CATEGORY_UPDATES", "Travel Plans"),
        keep(hotel, "INBOX CATEGORY_UPDATES", "Travel Plans"),
        keep(checkin, "INBOX UNREAD IMPORTANT CATEGORY_UPDATES", "Travel Plans"),
    ]


def social() -> list[Stored]:
    """Social network notifications."""
    endorsed = notice(
        LINKWAVE,
        "2026-09-18 16:21",
        "Jordan Lee endorsed you for Distributed Systems",
        """
        Jordan Lee endorsed you for Distributed Systems.
        See your profile: https://www.linkwave.example/in/alexmorgan/skills
        """,
        "<html><body><p><b>Jordan Lee</b> endorsed you for <b>Distributed Systems</b>.</p>"
        '<p><a href="https://www.linkwave.example/in/alexmorgan/skills">See your profile</a></p>'
        '<img src="https://www.linkwave.example/emimp/ip_abc.gif" width="1" height="1" alt="">'
        "</body></html>\n",
    )
    searches = notice(
        LINKWAVE,
        "2026-10-26 15:00",
        "You appeared in 23 searches this week",
        """
        You appeared in 23 searches this week.
        Searchers worked at Northgate Analytics, Brightpath and 4 others.
        https://www.linkwave.example/me/search-appearances
        """,
        "<html><body><p>You appeared in <b>23 searches</b> this week.</p>"
        '<p><a href="https://www.linkwave.example/me/search-appearances">See who</a></p></body></html>\n',
    )
    mention = notice(
        CHIRPER,
        "2026-10-30 22:15",
        "Mei Chen (@meichen) mentioned you",
        """
        @meichen: Huge thanks to @alexmorgan and the whole sync team: a week at 100% on the new
        event stream and not a single page. Lunch was well deserved.

        Reply: https://chirper.example/meichen/status/1851234567
        """,
        "<html><body><p><b>@meichen</b>: Huge thanks to @alexmorgan and the whole sync team: a week at "
        "100% on the new event stream and not a single page.</p>"
        '<p><a href="https://chirper.example/meichen/status/1851234567">Reply</a></p></body></html>\n',
    )
    return [
        keep(endorsed, "INBOX CATEGORY_SOCIAL"),
        keep(searches, "INBOX UNREAD CATEGORY_SOCIAL"),
        keep(mention, "INBOX UNREAD CATEGORY_SOCIAL"),
    ]


def updates() -> list[Stored]:
    """Service notifications: code review, CI, bank, security."""
    review = notice(
        CODEHARBOR,
        "2026-09-16 11:02",
        "[harborlabs/sync-service] Add idempotency keys to stream consumers (PR #471)",
        """
        @tomasf requested your review on: harborlabs/sync-service#471
        Add idempotency keys to stream consumers.

        --
        View it on Codeharbor: https://codeharbor.example/harborlabs/sync-service/pull/471
        You are receiving this because your review was requested.
        """,
        "<p><b>@tomasf</b> requested your review on "
        '<a href="https://codeharbor.example/harborlabs/sync-service/pull/471">#471</a>.</p>\n',
        CODEHARBOR_LIST,
    )
    failed = notice(
        CODEHARBOR,
        "2026-11-03 06:14",
        "[harborlabs/sync-service] Run failed: nightly-integration - main (3f9c2e1)",
        """
        Run failed: nightly-integration on main (3f9c2e1)

        Job "replay-from-queue" failed after 12m 31s:
          AssertionError: expected consumer lag < 5s, got 8.4s

        View the run: https://codeharbor.example/harborlabs/sync-service/actions/runs/99172
        """,
        "<p>Run failed: <b>nightly-integration</b> on main (3f9c2e1)</p>\n"
        "<pre>AssertionError: expected consumer lag &lt; 5s, got 8.4s</pre>\n"
        '<p><a href="https://codeharbor.example/harborlabs/sync-service/actions/runs/99172">'
        "View the run</a></p>\n",
        CODEHARBOR_LIST,
    )
    statement = notice(
        FERNWOOD,
        "2026-11-02 12:00",
        "Your October statement is ready",
        """
        Hello Alex,

        Your statement for the account ending 2291 (October 2026) is ready to view in online
        banking. For your security we never include statements in email.

        Fernwood Bank
        """,
        "<html><body><p>Hello Alex,</p><p>Your statement for the account ending <b>2291</b> (October 2026) "
        "is ready to view in online banking.</p></body></html>\n",
    )
    security = notice(
        ACCOUNTS,
        "2026-10-22 05:41",
        "Security alert: new sign-in on Windows",
        """
        New sign-in to your account you@example.com

        Windows, Chrome - Portland, OR, USA - 21 October 2026, 22:41 PDT

        If this was you, you don't need to do anything. If not, secure your account:
        https://accounts.example.com/security/checkup
        """,
        "<html><body><h3>New sign-in on Windows</h3><p>you@example.com &middot; Portland, OR, USA</p>"
        '<p><a href="https://accounts.example.com/security/checkup">Check activity</a></p></body></html>\n',
    )
    code = notice(
        ACCOUNTS,
        "2026-09-20 03:12",
        "Your verification code is 482913",
        """
        Your verification code is 482913. It expires in 10 minutes.
        If you didn't ask for it, you can ignore this email.
        """,
        "<html><body><p>Your verification code is</p><h1>482913</h1>"
        "<p>It expires in 10 minutes.</p></body></html>\n",
    )
    return [
        keep(review, "INBOX CATEGORY_UPDATES", "Work/Projects"),
        keep(failed, "INBOX UNREAD CATEGORY_UPDATES"),
        keep(statement, "INBOX UNREAD IMPORTANT CATEGORY_UPDATES"),
        keep(security, "INBOX UNREAD CATEGORY_UPDATES"),
        keep(code, "TRASH CATEGORY_UPDATES"),
    ]


LIST_HEADERS = (
    ("List-Id", "Python users <py-users.lists.example.org>"),
    ("List-Post", "<mailto:py-users@lists.example.org>"),
    ("List-Unsubscribe", "<https://lists.example.org/mailman/options/py-users>"),
    ("Precedence", "list"),
)


def forum_thread() -> list[Stored]:
    """A three-message mailing-list thread the owner only reads."""
    question_text = prose("""
        Hi all,

        I get attachments whose Content-Disposition looks like this:

            attachment; filename*0*=UTF-8''%E5%B9%B4%E6%AC%A1; filename*1*=%E5%A0%B1%E5%91%8A.txt

        part.get_filename() returns the right name with policy.default, but my old code that
        reads the header by hand only sees the first piece. Is there a stdlib helper for the
        raw parameter list, or should I just switch everything to policy.default?

        Ravi
    """)
    question = Mail(
        sender=RAVI,
        to=(PY_USERS,),
        subject="[py-users] Decoding RFC 2231 filenames split with continuations",
        sent_at=at("2026-10-14 14:20"),
        body=text_part(question_text),
        headers=LIST_HEADERS,
    )
    answer = reply(
        question,
        INGRID,
        "2026-10-14 16:05",
        text_part(
            prose("""
                Switch to policy.default. The legacy API has email.utils.collapse_rfc2231_value,
                but you have to reassemble the pieces yourself, in order, and only the first one
                carries the charset. The new header objects do all of that and also record a
                defect when a piece is missing.

                Ingrid
            """)
        ),
        to=(PY_USERS,),
        headers=LIST_HEADERS,
    )
    thanks = reply(
        answer,
        RAVI,
        "2026-10-15 08:30",
        text_part("Thanks Ingrid, switching. The defect list is exactly what I needed.\n\nRavi\n"),
        to=(PY_USERS,),
        headers=LIST_HEADERS,
    )
    return [keep(mail, "INBOX UNREAD CATEGORY_FORUMS") for mail in (question, answer, thanks)]


def spam() -> list[Stored]:
    """Three messages Gmail filed as spam, with the content that put them there."""
    lottery = notice(
        LOTTERY,
        "2026-09-12 04:44",
        "CONGRATULATIONS!!! You have WON $5,000,000.00 USD",
        """
        ATTENTION WINNER!!!

        Your email address was selected in the INTERNATIONAL E-MAIL LOTTERY 2026 and you have
        WON the sum of $5,000,000.00 (FIVE MILLION US DOLLARS)!!!

        To claim your prize send your FULL NAME, ADDRESS, BANK ACCOUNT NUMBER and a processing
        fee of $250 by Western Union within 48 HOURS or your prize will be FORFEITED.

        Claims agent: Mr. Richard Bello, claims@lucky-winner.example
        """,
        "<html><body><h1 style='color:red'>CONGRATULATIONS WINNER!!!</h1>"
        "<p>You have WON <b>$5,000,000.00</b>!!! Reply within 48 HOURS!!!</p></body></html>\n",
    )
    phish = notice(
        PHISHER,
        "2026-10-24 11:09",
        "URGENT: your mailbox will be SUSPENDED in 24 hours",
        """
        FINAL NOTICE

        Dear you@example.com,

        Your mailbox has exceeded its storage quota and will be SUSPENDED in 24 hours.
        VERIFY your account now to keep receiving email:

        http://mailbox-verify.example/login?user=you@example.com&session=8f2a

        Mail Administrator
        """,
        "<html><body><p>Dear user,</p><p>Your mailbox will be <b>SUSPENDED</b> in 24 hours.</p>"
        '<p><a href="http://mailbox-verify.example/login?user=you@example.com&amp;session=8f2a">'
        "VERIFY ACCOUNT NOW</a></p>"
        '<div style="position:absolute;top:-1000px"><a href="http://mailbox-verify.example/t">.</a></div>'
        "</body></html>\n",
    )
    crypto = notice(
        Person("Crypto Profits Daily", "profits@crypto-double.example"),
        "2026-11-10 02:30",
        "Turn $250 into $25,000 in 7 days - guaranteed",
        """
        Our AI trading bot DOUBLES your Bitcoin every 24 hours. 100% GUARANTEED, NO RISK!!!

        Only 3 places left. Deposit today: http://crypto-double.example/join?ref=88
        """,
        "<html><body><p>Our AI trading bot <b>DOUBLES</b> your Bitcoin every 24 hours!!!</p>"
        '<p><a href="http://crypto-double.example/join?ref=88">JOIN NOW</a></p></body></html>\n',
    )
    return [keep(mail, "SPAM UNREAD") for mail in (lottery, phish, crypto)]


def notice_mail() -> list[Stored]:
    """All automated mail."""
    return [*receipts(), *travel(), *social(), *updates(), *forum_thread(), *spam()]

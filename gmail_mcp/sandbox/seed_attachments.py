"""Work mail with attachments: a calendar invite, a forwarded customer report (message/rfc822),
a chart with its numbers (nested multiparts), and an expense report with .csv and .txt files."""

from __future__ import annotations

from .seed_files import bar_chart_png, calendar_invite
from .seed_mime import (
    Mail,
    Stored,
    at,
    attachment,
    html_part,
    keep,
    message_part,
    multipart,
    prose,
    text_part,
    webmail_body,
)
from .seed_people import DANA, JORDAN, LENA, MEI, OWNER, PRIYA, SUPPORT


def planning_invite() -> Stored:
    """A calendar invitation the way calendar servers send it: mixed > alternative(text, html,
    text/calendar; method=REQUEST) + the same event as an invite.ics attachment."""
    ics = calendar_invite(
        uid="q4-planning-review-20261008@harborlabs.example",
        summary="Q4 planning review",
        description="Review of Q4 priorities for the sync team.\nAgenda: migration status, hiring, budget.",
        location="Harbor Labs HQ, Room 4B (Lighthouse)",
        start=at("2026-10-08 17:00"),
        end=at("2026-10-08 18:30"),
        stamp=at("2026-10-01 20:14"),
        organizer=(PRIYA.name, PRIYA.email),
        attendees=[(OWNER.name, OWNER.email), (JORDAN.name, JORDAN.email), (MEI.name, MEI.email)],
    )
    text = prose("""
        You have been invited to the following event.

        Q4 planning review
        When: Thursday Oct 8, 2026 10am - 11:30am (Pacific Time - Los Angeles)
        Where: Harbor Labs HQ, Room 4B (Lighthouse)
        Organizer: Priya Raman <priya.raman@harborlabs.example>
        Guests: Alex Morgan, Jordan Lee, Mei Chen

        Going (you@example.com)?  Yes - Maybe - No
    """)
    html = (
        '<div style="font-family:Arial,sans-serif"><h3 style="margin:0">Q4 planning review</h3>\n'
        "<table><tr><th>When</th><td>Thursday Oct 8, 2026 10am &ndash; 11:30am (Pacific Time)</td></tr>\n"
        "<tr><th>Where</th><td>Harbor Labs HQ, Room 4B (Lighthouse)</td></tr>\n"
        "<tr><th>Organizer</th><td>Priya Raman</td></tr></table>\n"
        '<p><a href="https://calendar.harborlabs.example/rsvp?eid=cTQtcGxhbm5pbmc&amp;rst=1">Yes</a> | '
        '<a href="https://calendar.harborlabs.example/rsvp?eid=cTQtcGxhbm5pbmc&amp;rst=3">Maybe</a> | '
        '<a href="https://calendar.harborlabs.example/rsvp?eid=cTQtcGxhbm5pbmc&amp;rst=2">No</a></p></div>\n'
    )
    mail = Mail(
        sender=PRIYA,
        to=(OWNER, JORDAN, MEI),
        subject="Invitation: Q4 planning review @ Thu Oct 8, 2026 10am - 11:30am (PDT)",
        sent_at=at("2026-10-01 20:14"),
        body=multipart(
            "mixed",
            multipart(
                "alternative",
                text_part(text),
                html_part(html),
                text_part(ics, "calendar", params="; method=REQUEST", cte="7bit"),
            ),
            attachment(ics.replace("\n", "\r\n").encode(), "application/ics", "invite.ics"),
        ),
    )
    return keep(mail, "INBOX UNREAD IMPORTANT CATEGORY_PERSONAL", "Work")


def forwarded_report() -> Stored:
    """A customer email forwarded as an attachment (message/rfc822 with its own headers and body)."""
    original = Mail(
        sender=LENA,
        to=(SUPPORT,),
        subject="Export to CSV times out for large workspaces",
        sent_at=at("2026-10-12 08:47"),
        body=text_part(
            prose("""
                Hello,

                Since Tuesday the "Export to CSV" button fails for our main workspace (about
                220,000 items). After roughly a minute the page shows "Something went wrong"
                and no file arrives. Smaller workspaces export fine.

                This blocks our month-end reporting, so we would be grateful for a quick fix or
                a workaround.

                Best regards,
                Lena Hoffmann
                Operations Lead, Brightpath GmbH
            """)
        ),
    )
    mail = Mail(
        sender=JORDAN,
        to=(OWNER,),
        subject="Fwd: Export to CSV times out for large workspaces",
        sent_at=at("2026-10-13 14:02"),
        body=multipart(
            "mixed",
            text_part(
                prose("""
                    Alex, forwarding Brightpath's report. The export job runs inside the request
                    and hits the 60 s gateway timeout for them. Do we have an async export on
                    the roadmap, or should I raise the timeout for their workspace for now?

                    Jordan
                """)
            ),
            message_part(original.render(), "Export to CSV times out for large workspaces.eml"),
        ),
    )
    return keep(mail, "INBOX UNREAD IMPORTANT CATEGORY_PERSONAL", "Work/Projects")


def latency_chart() -> Stored:
    """Nested multiparts: mixed > alternative(text, html) + a PNG chart + a CSV of the numbers."""
    text = prose("""
        Hi Alex,

        Here is p95 sync latency by week for the review. The first four bars are before the
        10% flip, the last four after. p95 went from 330 ms to 140 ms.

        The numbers are in the CSV if you want to rebuild the chart.

        Mei
    """)
    weekly = prose("""
        week_starting,p95_ms,p99_ms,events_per_s
        2026-09-07,340,910,12400
        2026-09-14,310,870,12950
        2026-09-21,330,905,13100
        2026-09-28,300,860,13380
        2026-10-05,220,610,13420
        2026-10-12,170,450,13900
        2026-10-19,150,380,14210
        2026-10-26,140,350,14480
    """)
    mail = Mail(
        sender=MEI,
        to=(OWNER,),
        subject="p95 latency before/after the cutover (chart attached)",
        sent_at=at("2026-10-29 21:18"),
        body=multipart(
            "mixed",
            webmail_body(text),
            attachment(bar_chart_png(), "image/png", "p95-latency-by-week.png"),
            attachment(weekly.replace("\n", "\r\n").encode(), "text/csv", "p95-by-week.csv"),
        ),
    )
    return keep(mail, "INBOX STARRED CATEGORY_PERSONAL", "Work/Projects")


def expense_report() -> Stored:
    """A plain-text request with a .csv and a .txt attachment."""
    csv = prose("""
        date,merchant,category,amount_usd,receipt
        2026-09-02,Skyward Air,Travel,412.60,yes
        2026-09-02,Harborview Hotel,Lodging,589.00,yes
        2026-09-03,"Pho Saigon, Downtown",Meals,38.45,yes
        2026-09-11,Cloudnest,Software,129.00,yes
        2026-09-17,Lakeside Conference Centre,Events,"3,580.00",yes
        2026-09-24,City Cab Co.,Travel,27.90,no
    """)
    notes = prose("""
        Notes on the September expenses

        - The Lakeside amount is the 25% deposit for the November offsite (quote $14,320).
        - The cab on 24 Sep has no receipt; the driver's card reader was broken.
          Policy allows one missing receipt under $75 per month.
        - Cloudnest is the staging cluster for the migration; it ends in November.
    """)
    mail = Mail(
        sender=DANA,
        to=(OWNER,),
        subject="September expenses: approval needed by Friday",
        sent_at=at("2026-10-05 17:30"),
        body=multipart(
            "mixed",
            text_part(
                prose("""
                    Hi Alex,

                    Your team's September expenses are attached (CSV), with my notes on the two
                    items that need a comment. Total: $4,776.95. Please approve in Ledgerly or
                    reply to this email by Friday so they make the October close.

                    Thanks,
                    Dana
                """)
            ),
            attachment(csv.replace("\n", "\r\n").encode(), "text/csv", "expenses-2026-09.csv"),
            attachment(notes.replace("\n", "\r\n").encode(), "text/plain", "expense-notes.txt"),
        ),
    )
    return keep(mail, "INBOX UNREAD CATEGORY_PERSONAL", "Work")


def attachment_mail() -> list[Stored]:
    """All work mail with attachments."""
    return [planning_invite(), forwarded_report(), latency_chart(), expense_report()]

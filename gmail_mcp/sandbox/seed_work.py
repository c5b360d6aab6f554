"""Work threads at Harbor Labs: the ten-message migration thread, the venue thread with quoted
history, and an interview loop whose first message carries a résumé."""

from __future__ import annotations

from .seed_files import make_pdf
from .seed_mime import (
    Mail,
    Stored,
    alternative,
    at,
    attachment,
    keep,
    multipart,
    prose,
    quote_gmail,
    quote_outlook,
    reply,
    reply_all,
    text_part,
    webmail_body,
)
from .seed_people import DANA, JORDAN, KATE, OWNER, PRIYA, SAM, TOMAS

MIGRATION_SUBJECT = "Sync service migration: cutover plan for October"


def migration_thread() -> list[Stored]:
    """Ten messages, linear, the owner replying three times; the last one unread."""
    first = Mail(
        sender=PRIYA,
        to=(OWNER, TOMAS, JORDAN),
        subject=MIGRATION_SUBJECT,
        sent_at=at("2026-09-14 16:05"),
        body=webmail_body(
            prose("""
                Hi all,

                Now that the event-stream prototype has survived two weeks of shadow traffic, I'd
                like us to commit to a cutover date for moving sync off the polling workers.

                Proposal:
                - Week of Oct 5: dual-write from the API tier to both the queue and the event stream
                - Week of Oct 12: read path flips to the stream for 10% of workspaces
                - Oct 19: 100%, polling workers kept warm for a week as the rollback
                - Oct 26: decommission the polling fleet

                Alex, can your team own the read-path flip? Tomás, the dual-write is yours.
                Jordan, I need a rollback runbook that someone half-asleep can follow.

                Objections by Wednesday, please.

                Priya
            """)
        ),
    )
    texts = [
        (
            TOMAS,
            "2026-09-14 18:40",
            """
            Dual-write is fine by me, with one condition: we need idempotency keys on the stream
            consumers before Oct 5, otherwise a retried write shows up twice in the activity feed.
            I have a branch for that (sync-service#471); it needs a review from someone on Alex's
            team.

            Also, the week of Oct 5 overlaps with the Lisbon office move. I'll be online, but
            slower to answer.

            Tomás
            """,
        ),
        (
            JORDAN,
            "2026-09-15 13:10",
            """
            Runbook: on it. First draft by Friday. Two questions for the group:

            1. Is the rollback "flip the flag back" or "flip the flag and replay the last N minutes
               from the queue"? The second is what we actually need if the stream consumer was
               lagging when we flipped.
            2. Who gets paged during the 10% week? I'd rather it not be only me.

            Jordan
            """,
        ),
        (
            OWNER,
            "2026-09-15 17:22",
            """
            Happy to own the read-path flip.

            Tomás: Mei will review #471 tomorrow; she wrote most of the consumer code anyway.

            Jordan: it has to be the replay. The consumer lag alarm fires at 30 s, so replaying the
            last 5 minutes from the queue covers us with a wide margin. For paging, my team takes
            the 10% week and yours takes the 100% week.

            One more thing for the plan: a kill switch per workspace, not only a global flag.
            Brightpath alone is 6% of our write volume and I want to be able to move them back
            without moving everyone.

            Alex
            """,
        ),
        (
            PRIYA,
            "2026-09-16 15:03",
            """
            Per-workspace kill switch: agreed, please add it to the plan.

            Replay of the last 5 minutes: agreed. Jordan, please put the exact command in the
            runbook, including how to check the replay finished.

            So the dates stand unless someone shouts by tomorrow.
            """,
        ),
        (
            TOMAS,
            "2026-09-17 09:15",
            """
            #471 is merged, thanks Mei. Idempotency keys are live on staging.

            One wrinkle: the staging stream has 3 partitions and production will have 12. The
            ordering guarantee is per partition, so per-workspace ordering holds only if we key by
            workspace id. Alex, is the read path fine with that? It changes the shard key you use.
            """,
        ),
        (
            OWNER,
            "2026-09-17 16:40",
            """
            Keying by workspace id is what we want; the read path already groups by workspace.
            The only hot spot is Brightpath, which will sit on one partition. At their peak that
            is roughly 1,800 events/s, well under what one partition handles.

            I'll write up the shard-key change in the design doc today.
            """,
        ),
        (
            JORDAN,
            "2026-09-21 14:30",
            """
            Runbook draft: https://docs.harborlabs.example/runbooks/sync-cutover-rollback

            It covers: flipping the global flag, the per-workspace kill switch, replaying the last
            5 minutes, and verifying the replay with the consumer offsets dashboard. I timed a dry
            run on staging: 4 minutes 10 seconds from page to recovered.

            Reviews welcome before Thursday.
            """,
        ),
        (
            OWNER,
            "2026-09-22 00:55",
            """
            Read it end to end. Two small fixes:
            - Step 4 uses the staging cluster name in the replay command.
            - Say what "recovered" means: consumer lag under 5 s for 10 minutes.

            Otherwise this is great. Thanks Jordan.
            """,
        ),
        (
            TOMAS,
            "2026-09-23 08:20",
            """
            Final check before we lock the plan: the dual-write adds about 4 ms at p95 to writes
            (measured on staging under replayed production traffic). Everyone OK with that for the
            three weeks the dual-write runs? If not, I can make the stream write asynchronous, at
            the price of a small window where the stream is behind the queue.

            I need an answer by Friday to make the Oct 5 date.

            Tomás
            """,
        ),
    ]
    mails = [first]
    for sender, when, text in texts:
        mails.append(reply_all(mails[-1], sender, when, webmail_body(prose(text))))
    stored = []
    for index, mail in enumerate(mails):
        if mail.sender == OWNER:
            stored.append(keep(mail, "SENT", "Work/Projects"))
        elif index == len(mails) - 1:
            stored.append(keep(mail, "INBOX UNREAD IMPORTANT CATEGORY_PERSONAL", "Work/Projects"))
        else:
            stored.append(keep(mail, "INBOX IMPORTANT CATEGORY_PERSONAL", "Work/Projects"))
    return stored


def venue_thread() -> tuple[list[Stored], Mail, str]:
    """Four messages with quoted history: an Outlook "-----Original Message-----" block, then Gmail
    "On ... wrote:" quotes nested two deep. Returns the messages, and the last one and its text
    (a draft replies to it)."""
    ask_text = prose("""
        Hi Kate,

        Harbor Labs is planning a two-day engineering offsite on 4-5 November for about 40 people.
        We'd need one room for the whole group, two breakout rooms, lunch both days and a dinner
        on the 4th. Does Lakeside have availability, and could you send a quote?

        Thanks,
        Alex Morgan
        Harbor Labs
    """)
    ask = Mail(
        sender=OWNER,
        to=(KATE,),
        subject="Offsite venue for 40 people, 4-5 November",
        sent_at=at("2026-09-07 23:05"),
        body=webmail_body(ask_text),
    )
    offer_text = prose("""
        Hi Alex,

        Thank you for thinking of Lakeside. We can offer the Boathouse (seats 60 theatre-style)
        with the Cedar and Alder rooms for breakouts on 4-5 November.

        Day delegate rate: $145 per person per day (room hire, AV, coffee breaks, lunch).
        Dinner on the 4th in the Lakeview restaurant: $68 per person, drinks on consumption.
        For 40 people that comes to $14,320 before tax.

        I can hold the dates until 18 September. A 25% deposit confirms the booking.

        Kind regards,
        Kate Brennan
        Events Manager, Lakeside Conference Centre
        +1 503 555 0142
    """)
    offer = reply(
        ask,
        KATE,
        "2026-09-08 17:12",
        alternative(
            offer_text + "\n" + quote_outlook(ask, ask_text, KATE.zone),
            "<html><body><p>"
            + "</p>\n<p>".join(offer_text.strip().split("\n\n")).replace("\n", "<br>\n")
            + "</p>\n<hr>\n<p><b>From:</b> Alex Morgan &lt;you@example.com&gt;<br>\n"
            "<b>Subject:</b> Offsite venue for 40 people, 4-5 November</p>\n</body></html>\n",
        ),
        prefix="RE: ",
        headers=(
            ("Thread-Topic", "Offsite venue for 40 people, 4-5 November"),
            ("X-Mailer", "Microsoft Outlook 16.0"),
        ),
    )
    offer_full = offer_text + "\n" + quote_outlook(ask, ask_text, KATE.zone)
    accept_text = prose("""
        Hi Kate,

        That works for us. Please hold the dates; I'm copying Dana Whitfield from our finance
        team, who will arrange the deposit. Could you send the contract to both of us?

        One question: can the dinner be moved to 7:30 pm? Several people fly in that afternoon.

        Thanks,
        Alex
    """)
    accept_full = accept_text + "\n" + quote_gmail(offer, offer_full, OWNER.zone)
    accept = reply(offer, OWNER, "2026-09-09 04:30", webmail_body(accept_full), cc=(DANA,))
    budget_text = prose("""
        Alex,

        Before I pay the deposit: the offsite budget approved in July was $12,000, and this quote
        is $14,320 before tax. Either Priya signs off on the difference or we cut the dinner to
        the team budget. Which one?

        Dana
    """)
    budget_full = budget_text + "\n" + quote_gmail(accept, accept_full, DANA.zone, apple=True)
    budget = reply(accept, DANA, "2026-09-09 16:45", webmail_body(budget_full))
    stored = [
        keep(ask, "SENT", "Work"),
        keep(offer, "INBOX CATEGORY_PERSONAL", "Work"),
        keep(accept, "SENT", "Work"),
        keep(budget, "INBOX UNREAD IMPORTANT STARRED CATEGORY_PERSONAL", "Work"),
    ]
    return stored, budget, budget_full


def interview_thread() -> list[Stored]:
    """Three messages about a candidate; the first carries a résumé PDF with an RFC 2231 filename."""
    resume = make_pdf(
        "Zoë Castillo - Résumé",
        [
            "Senior Software Engineer, Northgate Analytics (2021 - present)",
            "  Led the move of ingestion from cron jobs to a streaming pipeline (Kafka, Go).",
            "  Cut p99 ingest latency from 40 min to 90 s.",
            "Software Engineer, Pinecrest Systems (2017 - 2021)",
            "  Built the billing reconciliation service (Python, PostgreSQL).",
            "Education: B.Sc. Computer Science, Universidad de Valencia",
        ],
    )
    invite = Mail(
        sender=SAM,
        to=(OWNER, PRIYA),
        subject="Interview loop: Zoë Castillo (Senior Backend)",
        subject_encoding="Q",
        sent_at=at("2026-09-24 18:20"),
        body=multipart(
            "mixed",
            text_part(
                prose("""
                    Hi Alex, hi Priya,

                    Zoë Castillo passed the phone screen with strong marks on system design. Her
                    résumé is attached. I'd like to run the onsite loop on Tuesday 6 October:

                    10:00  Coding (Mei)
                    11:00  System design (Alex)
                    13:00  Behavioural (Priya)
                    14:00  Team lunch debrief

                    Please confirm or suggest another slot by Monday.

                    Thanks,
                    Sam
                """)
            ),
            attachment(resume, "application/pdf", "Résumé – Zoë Castillo.pdf"),
        ),
    )
    confirm = reply_all(
        invite,
        PRIYA,
        "2026-09-25 15:40",
        webmail_body("13:00 works for me. Alex, can you take system design? You know the sync story best.\n"),
    )
    accept = reply_all(
        confirm,
        OWNER,
        "2026-09-25 17:02",
        webmail_body(
            prose("""
                Yes, 11:00 is fine. I'll use the offline-first sync question, the same one we used
                for the last two loops, so the scores are comparable.

                Alex
            """)
        ),
    )
    return [
        keep(invite, "INBOX CATEGORY_PERSONAL", "Work"),
        keep(confirm, "INBOX CATEGORY_PERSONAL", "Work"),
        keep(accept, "SENT", "Work"),
    ]


def work_threads() -> tuple[list[Stored], Mail, str]:
    """The work threads, and the venue thread's last message and its text (a draft answers it)."""
    venue, venue_last, venue_last_text = venue_thread()
    return [*migration_thread(), *venue, *interview_thread()], venue_last, venue_last_text

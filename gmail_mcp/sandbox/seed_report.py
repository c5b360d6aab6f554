"""The long message: a quarterly reliability report of about 60,000 characters, for paged reading.

The prose is written out; the weekly SLO table and the incident log are generated from fixed
tables by index arithmetic, so every entry differs and the text is the same on every run.
"""

from __future__ import annotations

from datetime import timedelta

from .seed_mime import Mail, Stored, at, keep, prose, text_part
from .seed_people import JORDAN, NADIA, OWNER, PRIYA

SERVICES = ("sync-api", "sync-stream", "sync-workers", "auth-gateway", "export-service", "search-indexer",
            "notifications", "billing-events")  # fmt: skip
REGIONS = ("us-west", "us-east", "eu-west", "ap-northeast")
SEVERITIES = ("SEV3", "SEV3", "SEV2", "SEV3", "SEV4", "SEV2", "SEV3", "SEV1")
DETECTION = (
    "the consumer lag alarm",
    "the 5xx error-rate alarm",
    "a customer report to support",
    "the synthetic sync probe",
    "an on-call engineer watching a deploy",
    "the p99 latency alarm",
    "the disk usage alarm",
)
CAUSES = (
    ("a config push lowered the database connection pool from 200 to 20",
     "rolled back the config; added a lint rule rejecting pool sizes under 50"),
    ("a slow query on the activity table after an index was dropped by a migration",
     "recreated the index concurrently; migrations now run an index diff in CI"),
    ("a certificate on the internal load balancer expired",
     "renewed the certificate; expiry is now monitored 30 days ahead"),
    ("a consumer deploy with a serialisation bug rejected events with empty tags",
     "rolled back; added a property test for empty and missing fields"),
    ("a noisy neighbour on a shared node saturated disk I/O",
     "moved the service to dedicated nodes; set I/O limits on batch jobs"),
    ("a retry storm after a 30 s upstream blip, with retries lacking jitter",
     "added full jitter and a retry budget of 10% to the client library"),
    ("a partition rebalance during peak traffic stalled two consumers",
     "switched to cooperative rebalancing; rebalances now wait for a quiet window"),
    ("the DNS resolver cache was flushed by an OS update, causing a lookup spike",
     "pinned the resolver version; added a local cache sidecar"),
    ("an export of a very large workspace ran inside the request and held a worker for minutes",
     "capped synchronous exports at 50,000 items; larger exports are queued"),
    ("a feature flag evaluated per request hit the flag service rate limit",
     "flags are now cached for 30 s in process"),
    ("log volume from a debug flag left on filled the disk on three nodes",
     "removed the flag; log rotation now caps per-service volume"),
    ("a clock skew of 4 s on one node made tokens look expired",
     "fixed NTP configuration; tokens now allow 30 s of skew"),
)  # fmt: skip
OWNERS = ("Jordan Lee", "Mei Chen", "Tomás Ferreira", "Nadia Petrov", "Alex Morgan", "Priya Raman")
INCIDENT_COUNT = 96

SUMMARY = prose("""
    Q3 2026 PLATFORM RELIABILITY REVIEW
    Prepared by Nadia Petrov (SRE) for the engineering leadership group
    Covers 1 July 2026 to 30 September 2026

    1. SUMMARY

    The quarter was the busiest in the platform's history: peak sync traffic grew 31% over Q2,
    driven by three large customers moving their whole organisations onto Harbor Labs. Despite
    that, availability of the customer-facing services met every published objective except
    one: export-service missed its 99.5% monthly target in August (99.31%), almost entirely
    because of synchronous exports for very large workspaces.

    We declared 96 incidents this quarter (Q2: 88). Most were SEV3 or SEV4 and resolved
    within the hour. There were two SEV1s, both short, and both caused by changes we made
    ourselves. The single most common cause class was configuration changes (21 incidents),
    followed by capacity (17) and dependencies outside our control (14).

    The sync migration is the largest risk in Q4. Shadow traffic on the event stream has
    been clean for two weeks, the rollback runbook exists and has been rehearsed, and the
    per-workspace kill switch is in place. The recommendations in section 4 are mostly about
    making sure the quieter services do not get neglected while everyone watches sync.

    How to read this report: section 2 lists weekly availability per service, section 3 is
    the complete incident log with cause and follow-up for each incident, and section 4 has
    the recommendations and their owners. Numbers are from the SLO dashboards as of
    1 October; incident details are from the postmortem documents.
""")

RECOMMENDATIONS = prose("""
    4. RECOMMENDATIONS

    4.1 Move exports out of the request path (owner: Alex Morgan, due: November).
        Every export-service incident this quarter traces back to exports running inside an
        HTTP request. Queue anything above 50,000 items and email a link when it is ready.

    4.2 Treat configuration as code (owner: Jordan Lee, due: December).
        21 incidents started with a configuration change. Config changes should go through
        the same review, canary and automatic rollback as code deploys.

    4.3 Retry budgets everywhere (owner: Mei Chen, due: October).
        The client library now has jitter and a retry budget; services that still use their
        own retry loops (notifications, billing-events) should move to it.

    4.4 Capacity reviews before large customer onboardings (owner: Priya Raman, ongoing).
        The three large onboardings this quarter each produced at least one capacity incident
        within a week. Sales should give SRE two weeks' notice for customers above 5,000 seats.

    4.5 Keep the polling fleet warm for one week after the sync cutover (owner: Alex Morgan).
        Already in the plan; listed here so it is not cut to save cost.

    5. CLOSING

    Thank you to everyone who carried a pager this quarter. Questions and corrections to me
    before the review meeting on 15 October, please.

    Nadia
""")


def slo_table() -> str:
    """Section 2: weekly availability per service, 13 weeks x 8 services."""
    lines = ["2. WEEKLY AVAILABILITY BY SERVICE (percent of successful requests)", ""]
    start = at("2026-06-29 00:00")
    for index, service in enumerate(SERVICES):
        lines.append(f"{service}")
        for week in range(13):
            monday = start + timedelta(weeks=week)
            # A deterministic, plausible wobble: most weeks above 99.9, a few dips.
            dip = ((index * 7 + week * 5) % 11) * 0.013 + (0.41 if (index + week) % 9 == 4 else 0)
            availability = 99.995 - dip
            requests = 41_000_000 + (index * 3_700_000) + week * 610_000
            lines.append(
                f"  week of {monday:%Y-%m-%d}  {availability:7.3f}%  requests {requests:>12,}"
                f"  errors {int(requests * (100 - availability) / 100):>9,}"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def incident_log() -> str:
    """Section 3: the incident log, one paragraph per incident."""
    lines = ["3. INCIDENT LOG", ""]
    start = at("2026-07-01 03:17")
    for number in range(INCIDENT_COUNT):
        when = start + timedelta(hours=number * 22 + (number * 37) % 13, minutes=(number * 29) % 60)
        service = SERVICES[(number * 3) % len(SERVICES)]
        cause, fix = CAUSES[(number * 5) % len(CAUSES)]
        duration = 4 + (number * 17) % 83
        share = ((number * 13) % 47 + 3) / 10
        lines += [
            f"INC-2026-{700 + number:04d}  {when:%Y-%m-%d %H:%M} UTC  {SEVERITIES[number % len(SEVERITIES)]}",
            f"  Service: {service} ({REGIONS[number % len(REGIONS)]})",
            f"  Duration: {duration} min. Detected by {DETECTION[number % len(DETECTION)]}.",
            f"  Timeline: alert at +0, acknowledged at +{1 + number % 4} min, mitigated at "
            f"+{duration * 2 // 3} min, resolved at +{duration} min.",
            f"  Impact: {share:.1f}% of {service} requests failed or were delayed for the duration.",
            f"  Cause: {cause}.",
            f"  Resolution: {fix}.",
            f"  Follow-up: SYNC-{1100 + number * 7} (owner: {OWNERS[number % len(OWNERS)]}), "
            + ("done." if number < 80 else "in progress."),
            "",
        ]
    return "\n".join(lines)


def report_text() -> str:
    """The whole report."""
    return f"{SUMMARY}\n{slo_table()}\n{incident_log()}\n{RECOMMENDATIONS}"


def long_report() -> Stored:
    """The report as one plain-text UTF-8 message."""
    mail = Mail(
        sender=NADIA,
        to=(OWNER, PRIYA),
        cc=(JORDAN,),
        subject="Q3 platform reliability review (full report)",
        sent_at=at("2026-10-09 13:40"),
        body=text_part(report_text(), cte="quoted-printable"),
    )
    return keep(mail, "INBOX UNREAD IMPORTANT CATEGORY_PERSONAL", "Work")

"""Marketing and newsletter mail: the HTML that is hard to read well. Nested presentation tables,
hidden preheaders padded with zero-width characters, tracking pixels and long tracking URLs,
a data: image, unsubscribe links, and a newsletter whose text part only says "view in browser"."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from .seed_files import logo_png
from .seed_mime import Mail, Stored, alternative, at, html_part, keep, prose
from .seed_people import KESTREL, OWNER, TRAILHEAD, WEEKLY_BYTE

# What marketing senders pad preheaders with so the inbox preview shows nothing after the teaser.
PREHEADER_PADDING = "\u034f\u200c\u00a0\u200b" * 40 + "&zwnj;&nbsp;" * 10


def tracked(host: str, campaign: str, target: str, slot: int) -> str:
    """A click-tracking redirect URL in the style of bulk mail platforms (long, opaque, stable)."""
    token = hashlib.sha256(f"{campaign}|{target}|{slot}".encode()).hexdigest()
    upn = base64.urlsafe_b64encode(hashlib.sha512(token.encode()).digest()).decode().rstrip("=")
    return (
        f"https://{host}/ls/click?upn={upn}-2B{token[:24]}-3D-3D{token[24:40]}"
        f"&amp;cid={campaign}&amp;pos={slot}&amp;redirect={quote(target, safe='')}"
    )


def unsubscribe_headers(host: str, campaign: str) -> tuple[tuple[str, str], ...]:
    """List-Unsubscribe (RFC 2369 / 8058 one-click) and the usual bulk-sender headers."""
    token = hashlib.sha256(f"unsub|{campaign}".encode()).hexdigest()[:32]
    return (
        ("List-Unsubscribe", f"<https://{host}/unsubscribe/{token}>, <mailto:unsub-{token}@{host}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Precedence", "bulk"),
        ("Feedback-ID", f"{campaign}:kestrel:esp"),
    )


@dataclass(frozen=True)
class Product:
    name: str
    price: str
    was: str
    slug: str


def kestrel_html(campaign: str, preheader: str, headline: str, intro: str, products: list[Product]) -> str:
    """Kestrel Outfitters' promotional template: tables inside tables, all role=presentation."""
    click = "click.kestrel-outfitters.example"
    site = "https://www.kestrel-outfitters.example"
    logo = base64.b64encode(logo_png((200, 90, 30))).decode()
    pixel_id = hashlib.sha256(campaign.encode()).hexdigest()
    cells = []
    for slot, product in enumerate(products, start=10):
        link = tracked(
            click, campaign, f"{site}/p/{product.slug}?utm_source=email&utm_campaign={campaign}", slot
        )
        cells.append(f"""
                <td class="col" width="50%" valign="top" style="padding:8px">
                  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
                    <tr><td><a href="{link}"><img
                      src="https://img.kestrel-outfitters.example/p/{product.slug}-600.jpg" width="272"
                      alt="{product.name}" style="display:block;width:100%;border:0"></a></td></tr>
                    <tr><td style="font:bold 16px Arial,sans-serif;padding-top:8px">{product.name}</td></tr>
                    <tr><td style="font:14px Arial,sans-serif"><s style="color:#888">{product.was}</s>
                      <b style="color:#c8501e">{product.price}</b></td></tr>
                    <tr><td style="padding-top:8px"><a href="{link}" style="background:#c8501e;
                      color:#fff;padding:8px 14px;text-decoration:none;font:bold 13px Arial,sans-serif"
                      >Shop now</a></td></tr>
                  </table>
                </td>""")
    rows = "".join(f"<tr>{''.join(cells[i : i + 2])}</tr>" for i in range(0, len(cells), 2))
    browser = tracked(click, campaign, f"{site}/email/view/{campaign}", 1)
    hero = tracked(click, campaign, f"{site}/sale?utm_source=email&utm_campaign={campaign}", 2)
    unsubscribe = tracked(click, campaign, f"{site}/account/unsubscribe?list=promotions&c={campaign}", 90)
    preferences = tracked(click, campaign, f"{site}/account/email-preferences", 91)
    return f"""<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{headline}</title>
<style>
  body {{ margin:0; padding:0; }}
  @media only screen and (max-width:620px) {{ .col {{ display:block !important; width:100% !important; }} }}
</style>
</head>
<body style="margin:0;padding:0;background:#f2f2f2">
<span class="preheader" style="display:none !important;visibility:hidden;opacity:0;color:transparent;\
height:0;width:0;max-height:0;max-width:0;overflow:hidden;mso-hide:all">{preheader}{PREHEADER_PADDING}</span>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f2f2f2">
  <tr>
    <td align="center" style="padding:12px 0">
      <table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff">
        <tr><td align="right" style="font:11px Arial,sans-serif;color:#777;padding:6px 12px">
          <a href="{browser}" style="color:#777">View this email in your browser</a></td></tr>
        <tr><td align="center" style="padding:16px">
          <img src="data:image/png;base64,{logo}" width="48" height="48" alt="Kestrel Outfitters"></td></tr>
        <tr><td><a href="{hero}"><img src="https://img.kestrel-outfitters.example/hero/{campaign}.jpg"
          width="600" alt="{headline}" style="display:block;border:0"></a></td></tr>
        <tr><td style="padding:20px 24px;font:15px/1.5 Arial,sans-serif;color:#222">
          <h1 style="font:bold 26px Arial,sans-serif;margin:0 0 12px">{headline}</h1>
          <p style="margin:0">{intro}</p></td></tr>
        <tr><td style="padding:0 16px">
          <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
            {rows}
          </table>
        </td></tr>
        <tr><td style="padding:24px;font:11px/1.6 Arial,sans-serif;color:#777;background:#fafafa">
          <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>
            <td><a href="{tracked(click, campaign, "https://social.example/kestrel", 80)}">Follow us</a> |
              <a href="{tracked(click, campaign, f"{site}/stores", 81)}">Find a store</a></td></tr></table>
          <p>You are receiving this email because you signed up at kestrel-outfitters.example as
          you@example.com.</p>
          <p><a href="{unsubscribe}" style="color:#777">Unsubscribe</a> |
             <a href="{preferences}" style="color:#777">Email preferences</a></p>
          <p>Kestrel Outfitters, 400 Ridge Road, Bend, OR 97701</p>
        </td></tr>
      </table>
    </td>
  </tr>
</table>
<img src="https://t.kestrel-outfitters.example/o/{pixel_id}.gif?e=you%40example.com" width="1" height="1"
 alt="" style="display:block;border:0;width:1px;height:1px">
</body>
</html>
"""


def kestrel_promo(
    campaign: str,
    sent_at: str,
    subject: str,
    preheader: str,
    headline: str,
    intro: str,
    products: list[Product],
) -> Mail:
    """An HTML-only promotional email from Kestrel Outfitters."""
    return Mail(
        sender=KESTREL,
        to=(OWNER,),
        subject=subject,
        sent_at=at(sent_at),
        body=html_part(kestrel_html(campaign, preheader, headline, intro, products)),
        headers=unsubscribe_headers("kestrel-outfitters.example", campaign),
    )


def kestrel_mail() -> list[Stored]:
    """Three Kestrel promotions; the oldest one was thrown away."""
    fall = kestrel_promo(
        "fall-trail-2026",
        "2026-09-19 13:00",
        "Up to 40% off trail gear this weekend",
        "Our biggest trail sale of the season starts now.",
        "The Fall Trail Sale",
        "Shells, packs and boots for the shoulder season, up to 40% off until Sunday midnight.",
        [
            Product("Ridgeline 2.5L Rain Shell", "$149", "$229", "ridgeline-shell"),
            Product("Cascade 38 Daypack", "$89", "$139", "cascade-38"),
            Product("Basalt Mid GTX Boot", "$134", "$190", "basalt-mid-gtx"),
            Product("Summit Merino Crew", "$54", "$78", "summit-merino-crew"),
        ],
    )
    last = kestrel_promo(
        "fall-trail-2026-last",
        "2026-09-21 01:30",
        "Last chance: 40% off ends tonight",
        "Midnight is the end. Seriously.",
        "Ends at midnight",
        "Everything from the Fall Trail Sale, one last time. After tonight, prices go back up.",
        [
            Product("Ridgeline 2.5L Rain Shell", "$149", "$229", "ridgeline-shell"),
            Product("Talus Trekking Poles", "$59", "$99", "talus-poles"),
        ],
    )
    flash = kestrel_promo(
        "flash-24h-sep",
        "2026-09-02 15:00",
        "Flash sale: 24 hours only",
        "Free shipping on everything, today only.",
        "24-hour flash sale",
        "Free shipping and 25% off camp kitchen gear. Today only.",
        [
            Product("Ember Camp Stove", "$67", "$89", "ember-stove"),
            Product("Trailhead Pour-Over Kit", "$29", "$39", "pour-over-kit"),
        ],
    )
    return [
        keep(flash, "TRASH CATEGORY_PROMOTIONS"),
        keep(fall, "INBOX UNREAD CATEGORY_PROMOTIONS"),
        keep(last, "INBOX UNREAD CATEGORY_PROMOTIONS"),
    ]


@dataclass(frozen=True)
class Story:
    title: str
    blurb: str
    url: str


def weekly_byte(issue: int, sent_at: str, stories: list[Story]) -> Mail:
    """The Weekly Byte: multipart/alternative whose text part is only a "view in browser" stub."""
    host = "links.weeklybyte.example"
    campaign = f"wb-{issue}"
    browser = f"https://weeklybyte.example/issues/{issue}?utm_source=newsletter"
    unsubscribe = tracked(host, campaign, "https://weeklybyte.example/unsubscribe?u=8c1f2a", 99)
    items = "\n".join(
        f"""<tr><td style="padding:12px 0;border-bottom:1px solid #eee">
  <a href="{tracked(host, campaign, story.url, slot)}"
     style="font:bold 17px Georgia,serif;color:#1a0dab">{story.title}</a>
  <p style="margin:4px 0 0;font:14px/1.5 Georgia,serif;color:#333">{story.blurb}</p></td></tr>"""
        for slot, story in enumerate(stories, start=1)
    )
    html = f"""<html><head><meta charset="utf-8"><style>a {{ text-decoration:none }}</style></head>
<body style="background:#ffffff">
<div style="display:none;max-height:0;overflow:hidden">{stories[0].title}{PREHEADER_PADDING}</div>
<table role="presentation" width="100%" cellspacing="0" cellpadding="0"><tr><td align="center">
<table role="presentation" width="640" cellspacing="0" cellpadding="0">
<tr><td style="font:bold 28px Georgia,serif;padding:24px 0 4px">The Weekly Byte</td></tr>
<tr><td style="font:13px Georgia,serif;color:#666">
  Issue #{issue} &middot; the week in software, in ten minutes</td></tr>
{items}
<tr><td style="padding:20px 0;font:12px Georgia,serif;color:#888">
You subscribed as you@example.com.
<a href="{unsubscribe}">Unsubscribe</a> &middot;
<a href="{browser}">Read online</a></td></tr>
</table></td></tr></table>
<img src="https://open.weeklybyte.example/track/{campaign}/8c1f2a.png" width="1" height="1" alt="">
</body></html>
"""
    stub = f"View this email in your browser: {browser}\n"
    return Mail(
        sender=WEEKLY_BYTE,
        to=(OWNER,),
        subject=f"The Weekly Byte #{issue}: {stories[0].title}",
        sent_at=at(sent_at),
        body=alternative(stub, html),
        headers=unsubscribe_headers("weeklybyte.example", campaign),
    )


def newsletter_mail() -> list[Stored]:
    """Two Weekly Byte issues and a coffee roaster's newsletter with a real text part."""
    first = weekly_byte(
        212,
        "2026-09-05 07:00",
        [
            Story(
                "Why your retries are a thundering herd",
                "Jitter is not optional: a look at three outages caused by synchronised retries.",
                "https://blog.example.org/2026/09/retries-thundering-herd",
            ),
            Story(
                "SQLite in production, two years on",
                "A team that moved its queue into SQLite reports on what broke and what did not.",
                "https://engineering.example.net/sqlite-two-years",
            ),
            Story(
                "The quiet deprecation of the Date header",
                "Mail clients increasingly ignore it. Here is what they use instead.",
                "https://mailnerds.example/date-header",
            ),
        ],
    )
    second = weekly_byte(
        216,
        "2026-10-03 07:00",
        [
            Story(
                "Event streams are not queues",
                "Ordering, replay and retention: the three properties teams forget when they migrate.",
                "https://blog.example.org/2026/10/streams-are-not-queues",
            ),
            Story(
                "OAuth refresh tokens that expire after 7 days",
                "If your app is in Testing status, your users are logging in every week. Here is why.",
                "https://identity.example.com/testing-status-tokens",
            ),
        ],
    )
    coffee_text = prose("""
        Fall harvest is here

        Three new single origins landed this week:

        - Huila, Colombia: red apple, panela, cocoa
        - Yirgacheffe, Ethiopia: bergamot, peach, black tea
        - Cerrado Mineiro, Brazil: hazelnut, milk chocolate

        Subscribers get 15% off their first bag of each with code HARVEST15.

        Shop: https://trailhead-coffee.example/shop/fall-harvest
        Unsubscribe: https://trailhead-coffee.example/unsubscribe?e=you%40example.com
    """)
    coffee_html = (
        '<html><body style="font-family:Helvetica,Arial,sans-serif;color:#3b2a1a">\n'
        "<h2>Fall harvest is here</h2>\n<p>Three new single origins landed this week:</p>\n<ul>\n"
        "<li><b>Huila, Colombia</b>: red apple, panela, cocoa</li>\n"
        "<li><b>Yirgacheffe, Ethiopia</b>: bergamot, peach, black tea</li>\n"
        "<li><b>Cerrado Mineiro, Brazil</b>: hazelnut, milk chocolate</li>\n</ul>\n"
        "<p>Subscribers get 15% off their first bag of each with code <b>HARVEST15</b>.</p>\n"
        '<p><a href="https://trailhead-coffee.example/shop/fall-harvest">Shop the harvest</a></p>\n'
        '<p style="font-size:11px"><a href="https://trailhead-coffee.example/unsubscribe?e=you%40example.com">'
        "Unsubscribe</a></p>\n</body></html>\n"
    )
    coffee = Mail(
        sender=TRAILHEAD,
        to=(OWNER,),
        subject="Fall harvest: three new single origins ☕",
        sent_at=at("2026-10-16 16:00"),
        body=alternative(coffee_text, coffee_html),
        headers=unsubscribe_headers("trailhead-coffee.example", "fall-harvest"),
    )
    return [
        keep(first, "INBOX CATEGORY_PROMOTIONS"),
        keep(second, "INBOX UNREAD CATEGORY_PROMOTIONS"),
        keep(coffee, "INBOX UNREAD CATEGORY_PROMOTIONS"),
    ]

"""A MIME tree that arrived in pieces, made whole: what is missing, and splicing it in.

Gmail's `payload` holds back large bodies (over 256 KB) and some enclosed messages by attachment
id, returns an enclosed message (a forward, bounced headers) as data alone, and a multipart whose
boundary never appears (as spam does) unsplit, its body as data. These pure functions decide what a
reader still needs and put the fetched bytes in place; the backend only fetches. Re-exported by
`mime.py`.
"""

from __future__ import annotations

from collections.abc import Mapping

from gmail_mcp.content.mimetree import BODY_TYPES, FORWARDED_TYPES, is_attachment, parse_rfc822
from gmail_mcp.models import MimePart

__all__ = ["ENCLOSED_TYPES", "body_parts_to_fetch", "expand", "fill", "parts_to_fetch", "replace_parts"]

# Enclosed messages (forwards, bounced headers): fetched and parsed so their headers and text show.
ENCLOSED_TYPES = (*FORWARDED_TYPES, "message/rfc822-headers")


def expand(part: MimePart) -> MimePart:
    """Open up what came whole but a reader needs split.

    A multipart whose boundary never appears comes back unsplit, its body as data; an enclosed
    message may come back as data alone. The recovering parser finds the parts of both.
    """
    if (
        part.data
        and not part.parts
        and (part.mime_type.startswith("multipart/") or part.mime_type in ENCLOSED_TYPES)
    ):
        reparsed: tuple[MimePart, ...]
        if part.mime_type in ENCLOSED_TYPES:
            reparsed = (parse_rfc822(part.data),)
        else:
            head = "".join(
                f"{h.name}: {h.value}\r\n" for h in part.headers if h.name.lower() == "content-type"
            )
            reparsed = parse_rfc822(head.encode("utf-8", "replace") + b"\r\n" + part.data).parts
        return part.model_copy(update={"parts": reparsed}) if reparsed else part
    if not part.parts:
        return part
    return part.model_copy(update={"parts": tuple(expand(p) for p in part.parts)})


def parts_to_fetch(part: MimePart) -> list[MimePart]:
    """Everything a reader needs that is only referenced by attachment id: the body parts
    `body_parts_to_fetch` names, and enclosed messages returned without their parts."""
    enclosed = [p for p in part.walk() if p.mime_type in ENCLOSED_TYPES and not p.parts and p.attachment_id]
    return body_parts_to_fetch(part) + enclosed


def fill(part: MimePart, data: bytes) -> MimePart:
    """`part` with its fetched bytes: an enclosed message parsed into its parts, any other its data."""
    if part.mime_type in ENCLOSED_TYPES:
        return part.model_copy(update={"parts": (parse_rfc822(data),)})
    return part.model_copy(update={"data": data})


def replace_parts(part: MimePart, replacements: Mapping[str, MimePart]) -> MimePart:
    """The tree with each part whose id is in `replacements` replaced by its replacement."""
    if part.part_id in replacements:
        return replacements[part.part_id]
    if not part.parts:
        return part
    return part.model_copy(update={"parts": tuple(replace_parts(p, replacements) for p in part.parts)})


def body_parts_to_fetch(part: MimePart) -> list[MimePart]:
    """The body parts `extract_body` may read whose data is not here but can be fetched by id.

    Gmail returns large bodies by attachment id; fetch these (text/plain, text/html and
    text/calendar parts, also inside forwarded messages) and put their data in before extracting.
    A forwarded message returned without its inner parts is the caller's to fetch and parse.
    """
    wanted: list[MimePart] = []
    _wanted(part, wanted)
    return wanted


def _wanted(part: MimePart, wanted: list[MimePart]) -> None:
    kind = part.mime_type
    if kind.startswith("multipart/"):
        for child in part.parts:
            if child.mime_type in ("text/calendar", *FORWARDED_TYPES) or not is_attachment(child):
                _wanted(child, wanted)
        return
    if kind in FORWARDED_TYPES and part.parts:
        _wanted(part.parts[0], wanted)
        return
    if part.data is None and part.attachment_id and kind in (*BODY_TYPES, "text/calendar"):
        wanted.append(part)

"""Splitting multipart bodies (batch requests, multipart/related uploads) on raw bytes.

The stdlib email parser would re-decode binary message bodies; these helpers only cut at the
boundary lines, so an uploaded message arrives byte for byte.
"""

from __future__ import annotations

import re
from email.message import Message


class MultipartError(ValueError):
    """A body that is not the multipart it claims to be."""


def boundary_of(content_type: str) -> str | None:
    """The boundary parameter of a Content-Type value."""
    message = Message()
    message["Content-Type"] = content_type
    value = message.get_param("boundary")
    if isinstance(value, tuple):
        value = value[2]
    return str(value) if value else None


def mime_type_of(content_type: str) -> str:
    """The lower-cased type/subtype of a Content-Type value ('' when absent)."""
    return content_type.split(";", 1)[0].strip().lower()


def split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The parts between boundary lines (preamble and epilogue dropped). A missing closing
    boundary is tolerated; no boundary at all is a MultipartError."""
    if not boundary or len(boundary) > 200:
        raise MultipartError("invalid multipart boundary")
    delimiter = re.compile(
        rb"(?:\A|\r?\n)--" + re.escape(boundary.encode("latin-1")) + rb"(--)?[ \t]*(?=\r?\n|\Z)"
    )
    matches = list(delimiter.finditer(body))
    if not matches:
        raise MultipartError("multipart boundary not found in the body")
    parts = []
    for current, following in zip(matches, [*matches[1:], None], strict=True):
        if current.group(1):  # the closing delimiter
            break
        end = following.start() if following is not None else len(body)
        content = body[current.end() : end]
        if content.startswith(b"\r\n"):
            content = content[2:]
        elif content.startswith(b"\n"):
            content = content[1:]
        if following is None and not content.strip():
            break
        parts.append(content)
    return parts


def split_head(block: bytes) -> tuple[list[str], bytes]:
    """Header lines (unfolded, as text) and the body after the first blank line."""
    ends = [i for i in (block.find(b"\r\n\r\n"), block.find(b"\n\n")) if i >= 0]
    if block.startswith((b"\r\n", b"\n")):
        return [], block[2:] if block.startswith(b"\r\n") else block[1:]
    if not ends:
        head, body = block, b""
    else:
        cut = min(ends)
        head = block[:cut]
        body = block[cut + (4 if block[cut : cut + 4] == b"\r\n\r\n" else 2) :]
    lines: list[str] = []
    for line in head.decode("utf-8", errors="replace").splitlines():
        if lines and line[:1] in (" ", "\t"):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines, body


def parse_headers(lines: list[str]) -> dict[str, str]:
    """'Name: value' lines as a dict with lower-cased names (later ones win)."""
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if colon and name.strip():
            headers[name.strip().lower()] = value.strip()
    return headers

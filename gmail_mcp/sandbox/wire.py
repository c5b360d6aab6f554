"""The sandbox's own request and reply values, independent of the HTTP server that carries them.

Direct calls, batch parts and resumable chunks all become a `Request` and leave as a `Reply`, so
a batch part goes through exactly the code a direct call does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from gmail_mcp.sandbox.apierror import ApiError

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class Request:
    """One HTTP request (or one part of a batch)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""
    base_url: str = ""  # scheme://host:port as the client addressed the server

    def header(self, name: str, default: str = "") -> str:
        """A header value by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    def form(self) -> dict[str, list[str]]:
        """The body as application/x-www-form-urlencoded, merged under the query parameters."""
        merged = {k: list(v) for k, v in self.query.items()}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return merged
        for key, values in parse_qs(text, keep_blank_values=True).items():
            merged.setdefault(key, []).extend(values)
        return merged


@dataclass
class Reply:
    """What to answer; `reset` closes the connection without answering at all."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reset: bool = False


def json_reply(status: int, value: object, headers: list[tuple[str, str]] | None = None) -> Reply:
    """A JSON reply with Google's content type."""
    body = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return Reply(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])


def error_reply(error: ApiError) -> Reply:
    """Google's JSON error body with the error's status and headers (WWW-Authenticate, Retry-After)."""
    return Reply(error.code, error.to_bytes(), [("Content-Type", JSON_TYPE), *error.headers])

"""Batch requests (POST /batch): multipart/mixed in, multipart/mixed out.

Each part is an ``application/http`` request exactly as googleapiclient's `BatchHttpRequest`
writes it; each is answered by the same `Gateway.call` as a direct request (its own auth, quota,
faults and errors) and comes back in a part whose Content-ID is ``<response-`` + the original.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from gmail_mcp.sandbox.apierror import ApiError, invalid
from gmail_mcp.sandbox.multipart import (
    MultipartError,
    boundary_of,
    mime_type_of,
    parse_headers,
    split_head,
    split_multipart,
)
from gmail_mcp.sandbox.wire import Reply, Request, error_reply

MAX_PARTS = 100


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def parse_part(content: bytes, outer: Request) -> Request:
    """One embedded HTTP request. Headers it lacks (Authorization) come from the batch itself."""
    lines, body = split_head(content)
    if not lines:
        raise invalid("A batch part has no request line")
    request_line, headers = lines[0], parse_headers(lines[1:])
    pieces = request_line.split()
    if len(pieces) < 2:
        raise invalid(f"Invalid request line in batch part: {request_line!r}")
    method, target = pieces[0].upper(), pieces[1]
    url = urlsplit(target)
    length = headers.get("content-length", "")
    if length.isdigit():
        body = body[: int(length)]
    merged = {name: value for name, value in outer.headers.items() if name == "authorization"}
    merged.update(headers)
    return Request(
        method, url.path, parse_qs(url.query, keep_blank_values=True), merged, body, outer.base_url
    )


def _response_part(content_id: str, reply: Reply) -> bytes:
    inner = content_id[1:-1] if content_id.startswith("<") and content_id.endswith(">") else content_id
    lines = ["Content-Type: application/http"]
    if content_id:
        lines.append(f"Content-ID: <response-{inner}>")
    lines += ["", f"HTTP/1.1 {reply.status} {_reason(reply.status)}"]
    lines += [f"{name}: {value}" for name, value in reply.headers]
    lines += [f"Content-Length: {len(reply.body)}", "", ""]
    return "\r\n".join(lines).encode("utf-8") + reply.body


PartCall = Callable[[Request, bool], Reply]  # (part, whether it is beyond the concurrency cap)
Slots = Callable[[int], AbstractContextManager[int]]  # slots wanted -> slots granted while held


def handle_batch(request: Request, call: PartCall, count_parts: Callable[[int], None], slots: Slots) -> Reply:
    """Answer a whole batch; a malformed envelope, no parts or over 100 parts is one 400.

    The parts are worked on concurrently, as Gmail does: each takes a concurrency slot, and those
    beyond the free slots (the last ones) are answered 429 by `call`.
    """
    try:
        return _handle(request, call, count_parts, slots)
    except ApiError as exc:
        return error_reply(exc)


def _handle(request: Request, call: PartCall, count_parts: Callable[[int], None], slots: Slots) -> Reply:
    content_type = request.header("content-type")
    boundary = boundary_of(content_type)
    if mime_type_of(content_type) != "multipart/mixed" or not boundary:
        raise invalid("A batch request must be multipart/mixed with a boundary")
    try:
        parts = split_multipart(request.body, boundary)
    except MultipartError as exc:
        raise invalid(f"Malformed batch body: {exc}") from exc
    if not parts:
        raise invalid("A batch request must contain at least one part")
    if len(parts) > MAX_PARTS:
        raise invalid(f"Too many requests in batch: {len(parts)} (at most {MAX_PARTS})")
    count_parts(len(parts))
    answers = []
    with slots(len(parts)) as granted:
        for index, part in enumerate(parts):
            lines, content = split_head(part)
            content_id = parse_headers(lines).get("content-id", "")
            try:
                reply = call(parse_part(content, request), index >= granted)
            except ApiError as exc:
                reply = error_reply(exc)
            if reply.reset:  # a connection reset takes the whole batch response with it
                return reply
            answers.append(_response_part(content_id, reply))
    boundary_out = "batch_" + secrets.token_hex(12)
    body = b"".join(f"--{boundary_out}\r\n".encode() + answer + b"\r\n" for answer in answers)
    body += f"--{boundary_out}--\r\n".encode()
    return Reply(200, body, [("Content-Type", f"multipart/mixed; boundary={boundary_out}")])

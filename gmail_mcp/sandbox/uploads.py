"""Media uploads as googleapiclient sends them for send, import, insert and drafts.

- ``uploadType=media``: the body is the message (``message/rfc822``).
- ``uploadType=multipart``: ``multipart/related`` with the JSON metadata, then the message.
- ``uploadType=resumable``: the first request carries the metadata and answers 200 with a
  ``Location``; PUTs to it carry ``Content-Range: bytes a-b/total`` chunks and get 308 with
  ``Range: bytes=0-n`` until the last one, which gets the method's own answer.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

from gmail_mcp.sandbox.apierror import ApiError, invalid
from gmail_mcp.sandbox.call import parse_json
from gmail_mcp.sandbox.faults import Fault
from gmail_mcp.sandbox.methods import Method
from gmail_mcp.sandbox.multipart import (
    MultipartError,
    boundary_of,
    mime_type_of,
    parse_headers,
    split_head,
    split_multipart,
)
from gmail_mcp.sandbox.wire import Reply, Request

_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")
_MAX_SESSIONS = 100


def too_large(limit: int) -> ApiError:
    """413 for media over the method's limit."""
    return ApiError(413, "uploadTooLarge", f"Maximum upload size exceeded: the limit is {limit} bytes.")


def check_media_type(content_type: str) -> None:
    """Gmail accepts message/* media only."""
    media_type = mime_type_of(content_type)
    if not media_type.startswith("message/"):
        raise invalid(f"Media type '{media_type}' is not supported. Valid media types: [message/*]")


def parse_simple(request: Request, upload_type: str, limit: int) -> tuple[dict[str, object], bytes]:
    """Metadata and message bytes of a media or multipart upload."""
    if len(request.body) > limit:
        raise too_large(limit)
    if upload_type == "media":
        check_media_type(request.header("content-type"))
        return {}, request.body
    content_type = request.header("content-type")
    boundary = boundary_of(content_type)
    if mime_type_of(content_type) != "multipart/related" or not boundary:
        raise invalid("uploadType=multipart needs a multipart/related body with a boundary")
    try:
        parts = split_multipart(request.body, boundary)
    except MultipartError as exc:
        raise invalid(f"Malformed multipart body: {exc}") from exc
    metadata: dict[str, object] = {}
    media: bytes | None = None
    for index, part in enumerate(parts):
        lines, content = split_head(part)
        headers = parse_headers(lines)
        part_type = headers.get("content-type", "")
        if index == 0 and mime_type_of(part_type) == "application/json":
            metadata = parse_json(content)
            continue
        check_media_type(part_type)
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            try:
                content = base64.b64decode(content)
            except (binascii.Error, ValueError) as exc:
                raise invalid("The media part is not valid base64") from exc
        media = content
    if media is None:
        raise invalid("The multipart upload has no media part")
    return metadata, media


@dataclass
class Session:
    """A resumable upload in progress."""

    id: str
    method: Method
    params: dict[str, str]
    query: dict[str, list[str]]
    metadata: dict[str, object]
    total: int | None
    limit: int
    fault: Fault | None  # a fault armed for this call fires when the upload completes
    received: bytearray = field(default_factory=bytearray)


class UploadSessions:
    """Resumable sessions by upload id (the id in the Location URL is the only credential)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def start(
        self,
        request: Request,
        method: Method,
        params: dict[str, str],
        limit: int,
        fault: Fault | None,
    ) -> Reply:
        """The initial request: remember the metadata, answer 200 with the session's Location."""
        metadata = parse_json(request.body)
        declared_type = request.header("x-upload-content-type")
        if declared_type:
            check_media_type(declared_type)
        declared_length = request.header("x-upload-content-length")
        total = None
        if declared_length:
            if not declared_length.isdigit():
                raise invalid("Invalid X-Upload-Content-Length")
            total = int(declared_length)
            if total > limit:
                raise too_large(limit)
        upload_id = secrets.token_urlsafe(24)
        query = {k: v for k, v in request.query.items() if k not in ("uploadType", "upload_id")}
        session = Session(upload_id, method, params, query, metadata, total, limit, fault)
        with self._lock:
            if len(self._sessions) >= _MAX_SESSIONS:  # abandoned sessions must not pile up forever
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[upload_id] = session
        pairs = [(k, v) for k, values in query.items() for v in values]
        pairs += [("uploadType", "resumable"), ("upload_id", upload_id)]
        location = f"{request.base_url}{request.path}?{urlencode(pairs)}"
        return Reply(200, b"", [("Location", location), ("X-GUploader-UploadID", upload_id)])

    def receive(self, request: Request) -> Session | Reply:
        """One PUT to a session: 308 while incomplete, the finished Session once all bytes are in."""
        upload_id = (request.query.get("upload_id") or [""])[0]
        with self._lock:
            session = self._sessions.get(upload_id)
            if session is None:
                raise ApiError(404, "notFound", "No upload session with this id (it may have completed).")
            return self._receive(session, request)

    def _receive(self, session: Session, request: Request) -> Session | Reply:
        content_range = request.header("content-range")
        data = request.body
        if content_range:
            found = _RANGE.fullmatch(content_range.strip())
            if not found:
                raise invalid(f"Invalid Content-Range: {content_range}")
            first, last, total_text = found.groups()
        else:  # one PUT with everything
            first, last, total_text = "0", str(len(data) - 1), str(len(data))
        if total_text != "*":
            total = int(total_text)
            if session.total is not None and session.total != total:
                raise invalid("Content-Range total does not match X-Upload-Content-Length")
            if total > session.limit:
                raise too_large(session.limit)
            session.total = total
        if first is not None and last is not None:
            start, end = int(first), int(last)
            if end - start + 1 != len(data):
                raise invalid("Content-Range does not match the length of the body")
            if start <= len(session.received):  # a resent chunk overwrites what it covers
                del session.received[start:]
                session.received += data
            if len(session.received) > session.limit:
                raise too_large(session.limit)
        if session.total is not None and len(session.received) >= session.total:
            if len(session.received) > session.total:
                raise invalid("More bytes were sent than the upload declared")
            del self._sessions[session.id]
            return session
        headers = [("Range", f"bytes=0-{len(session.received) - 1}")] if session.received else []
        return Reply(308, b"", headers)

"""Test helpers shared across test modules: talking to the sandbox's control endpoints, building clients."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials

from gmail_mcp.common.pacing import QuotaLimiter
from gmail_mcp.common.retry import Backoff
from gmail_mcp.gmail.client import GmailClient
from gmail_mcp.gmail.prefetch import FetchedAhead
from gmail_mcp.gmail.quota import CostProfile
from gmail_mcp.gmail.transport import authorized_http_factory

# The project's shared material (the real-world corpus) sits beside the checkout (../shared), as in
# CI, or where GMAIL_MCP_SHARED says. A clean clone has none: tests marked `corpus` then skip (conftest).
SHARED_SETTING = os.environ.get("GMAIL_MCP_SHARED", "")
SHARED = Path(SHARED_SETTING) if SHARED_SETTING else Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus" / "mail-parser"
HAVE_CORPUS = CORPUS.is_dir()
WITHOUT_CORPUS = (
    f"needs the shared corpus of real-world mail, not found at {CORPUS}: "
    "put ../shared beside the checkout or set GMAIL_MCP_SHARED"
)


def control(sandbox: Any, path: str, body: Any = None, method: str = "POST") -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(
        sandbox.url + path,
        data=data if method != "GET" else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


def inject(sandbox: Any, **fault: Any) -> None:
    """The next matching Gmail calls fail as described (see DESIGN.md, POST /__sandbox/faults)."""
    control(sandbox, "/__sandbox/faults", fault)


def service_on(server: Any, credentials: Any = None) -> Any:
    """A googleapiclient Gmail service against this sandbox (a token it did not issue: full access)."""
    import google_auth_httplib2
    from googleapiclient.discovery import build_from_document
    from googleapiclient.http import build_http

    from tests.conftest import DISCOVERY

    document = json.loads(DISCOVERY.read_text())
    document["rootUrl"] = server.url + "/"
    raw = build_http()
    MADE_HTTP.append(raw)
    http = google_auth_httplib2.AuthorizedHttp(credentials or Credentials(token="test"), http=raw)
    return build_from_document(document, http=http)


def reset_stats(sandbox: Any) -> None:
    control(sandbox, "/__sandbox/reset", {})


# Every client made here is closed when its test ends (conftest), so no connection outlives a test.
MADE_CLIENTS: list[GmailClient] = []
# Likewise the httplib2 connections of the services service_on builds.
MADE_HTTP: list[Any] = []


def make_client(
    sandbox: Any,
    clock: Any,
    *,
    rand: Any = lambda: 0.5,
    units_per_minute: int | None = None,
    costs: str = "2026",
    max_wait: float = 60.0,
    credentials: Credentials | None = None,
    fetched_ahead: FetchedAhead | None = None,
    sleep: Any = None,
    batch_memory: Any = None,
    **backoff: Any,
) -> GmailClient:
    """A GmailClient on the sandbox whose waiting happens on the fake clock (or, given `sleep`,
    sleeps that way: `common.steps.sleep` waits for real and ends early when the call is cancelled).

    Its defaults are the server's: 2026 costs at that regime's limit, waits of 60 s at most.
    """
    sleep = sleep or clock.sleep
    profile = CostProfile.named(costs)
    client = GmailClient(
        authorized_http_factory(credentials or Credentials(token="test")),
        api_root=sandbox.url,
        costs=profile,
        backoff=Backoff(clock=clock, sleep=sleep, rand=rand, max_wait=max_wait, **backoff),
        limiter=QuotaLimiter(
            units_per_minute or profile.per_minute, clock=clock, sleep=sleep, max_wait=max_wait
        ),
        fetched_ahead=fetched_ahead or FetchedAhead(clock=clock),
        clock=clock,
        batch_memory=batch_memory,
    )
    MADE_CLIENTS.append(client)
    return client


def deliver(sandbox: Any, raw: bytes, **extra: Any) -> dict[str, Any]:
    """Incoming mail, as Gmail receives it (POST /__sandbox/deliver): its id, threadId and labelIds."""
    import base64

    answer: dict[str, Any] = control(
        sandbox, "/__sandbox/deliver", {"raw": base64.urlsafe_b64encode(raw).decode(), **extra}
    )
    return answer

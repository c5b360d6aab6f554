"""Shared fixtures: a fake clock, the seeded sandbox mailbox, a running sandbox, a real Gmail client."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import google_auth_httplib2
import googleapiclient
import pytest
from google.auth.credentials import Credentials as BaseCredentials
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.http import build_http
from hypothesis import settings as hypothesis_settings

from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.helpers import CORPUS, HAVE_CORPUS, MADE_CLIENTS, MADE_HTTP, SHARED_SETTING, WITHOUT_CORPUS

# Property tests draw the same examples on every run, so CI never fails on a new random draw;
# HYPOTHESIS_PROFILE=explore draws fresh ones (and keeps what it finds in .hypothesis/).
hypothesis_settings.register_profile("default", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False, max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Shortly after the newest seeded message (17 Nov 2026), so relative searches see the seed as recent.
START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC).timestamp()
DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "gmail.v1.json"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus: needs the shared corpus of real-world mail (../shared)")
    if SHARED_SETTING and not HAVE_CORPUS:
        # Asked for by name: a wrong path is a mistake to report, not a reason to skip quietly.
        raise pytest.UsageError(f"GMAIL_MCP_SHARED={SHARED_SETTING} has no corpus at {CORPUS}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the shared corpus, the tests that need it skip and say how to enable them."""
    if HAVE_CORPUS:
        return
    for item in items:
        if item.get_closest_marker("corpus"):
            item.add_marker(pytest.mark.skip(reason=WITHOUT_CORPUS), append=False)


class FakeClock:
    """Epoch seconds that move only when told to; `sleep` advances instead of waiting."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close the Gmail clients and services a test made (tests/helpers.make_client, service_on):
    their kept-alive connections."""
    yield
    while MADE_CLIENTS:
        MADE_CLIENTS.pop().close()
    while MADE_HTTP:
        MADE_HTTP.pop().close()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    return Mailbox.seeded(clock=fake_clock)


@pytest.fixture
def sandbox(mailbox: Mailbox, fake_clock: FakeClock) -> Iterator[SandboxServer]:
    with SandboxServer(mailbox, port=0, clock=fake_clock) as server:
        yield server


@pytest.fixture
def gmail_factory(sandbox: SandboxServer) -> Iterator[Callable[[BaseCredentials], Any]]:
    """Builds a googleapiclient Gmail service against the sandbox for the given credentials.

    Their kept-alive connections are closed when the test ends.
    """
    document = json.loads(DISCOVERY.read_text())
    document["rootUrl"] = sandbox.url + "/"
    made: list[Any] = []

    def build(credentials: BaseCredentials) -> Any:
        # build_http() is what googleapiclient itself uses: it stops httplib2 following 308s
        raw = build_http()
        made.append(raw)
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=raw)
        return build_from_document(document, http=http)

    yield build
    for raw in made:
        raw.close()


@pytest.fixture
def gmail_service(gmail_factory: Callable[[BaseCredentials], Any]) -> Any:
    """A real Gmail client whose bearer token the sandbox did not issue (full access)."""
    return gmail_factory(Credentials(token="test"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def harness(sandbox: SandboxServer, fake_clock: FakeClock, tmp_path: Path) -> Any:
    """The MCP server in-process over the sandbox (see tests/mcp_harness.py)."""
    from tests.mcp_harness import Harness

    return Harness(sandbox, fake_clock, tmp_path)


@pytest.fixture
def sandbox_factory(mailbox: Any, fake_clock: Any) -> Any:
    """Starts sandboxes with other settings (a lower quota) on the shared fake clock."""
    from gmail_mcp.sandbox import SandboxServer

    started: list[Any] = []

    def start(**options: Any) -> Any:
        server = SandboxServer(mailbox, port=0, clock=fake_clock, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

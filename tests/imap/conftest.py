"""Fixtures for the IMAP backend: Dovecot seeded from tests/data/imap, an SMTP sink, the MCP harness."""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from gmail_mcp.common.retry import Backoff
from gmail_mcp.config import Paths, Settings
from gmail_mcp.imap import connect
from gmail_mcp.imap.client import ImapBackend
from gmail_mcp.imap.pool import PasswordLogin, Secret
from tests.imap import dovecot, proxy, smtp_sink
from tests.imap.dovecot import Account, Dovecot
from tests.imap.proxy import Proxy
from tests.imap.smtp_sink import Sink
from tests.mcp_harness import Harness

DATA = Path(__file__).resolve().parents[1] / "data" / "imap"
HERE = Path(__file__).resolve().parent
# aiosmtpd warns about its own options (the sink's implicit-TLS session needs no STARTTLS) and
# deprecations inside itself; none of it concerns what these tests check.
AIOSMTPD_NOISE = (
    "ignore:Requiring AUTH while not requiring TLS:UserWarning",
    "ignore:auth_required == True but auth_require_tls == False:UserWarning",
    "ignore:Session.login_data is deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            for noise in AIOSMTPD_NOISE:
                item.add_marker(pytest.mark.filterwarnings(noise))


SKIP = dovecot.skip_reason()


def seed(server: Account) -> None:
    """The mailbox of tests/data/imap/manifest.json, appended as a mail program would."""
    context = ssl.create_default_context(cafile=str(server.ca_file))
    with IMAPClient("127.0.0.1", port=server.port, ssl_context=context, timeout=10) as client:
        client.login(server.user, server.password)
        existing = {name for _, _, name in client.list_folders()}
        for entry in json.loads((DATA / "manifest.json").read_text("utf-8")):
            if entry["folder"] not in existing:
                client.create_folder(entry["folder"])
                existing.add(entry["folder"])
            raw = (DATA / entry["file"]).read_bytes()
            client.append(
                entry["folder"], raw, flags=entry["flags"], msg_time=datetime.fromisoformat(entry["date"])
            )


def raw_client(server: Account) -> IMAPClient:
    """A plain IMAPClient on the test server, to look behind the backend's back."""
    client = IMAPClient(
        "127.0.0.1",
        port=server.port,
        ssl_context=ssl.create_default_context(cafile=str(server.ca_file)),
        timeout=10,
    )
    client.login(server.user, server.password)
    return client


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """One Dovecot for the session; each test gets a user (a mailbox) of its own."""
    if SKIP is not None:
        if os.environ.get("GMAIL_MCP_REQUIRE_DOVECOT"):  # CI installs it: a skip there would hide a gap
            pytest.fail(f"Dovecot is required here: {SKIP}")
        pytest.skip(SKIP)
    with dovecot.running() as server:
        yield server


@pytest.fixture
def imap_server(dovecot_server: Dovecot) -> Account:
    """A fresh user of the test's own, with the seeded mailbox."""
    account = dovecot_server.add_user()
    seed(account)
    return account


@pytest.fixture
def smtp_server(imap_server: Account) -> Iterator[Sink]:
    with smtp_sink.running(imap_server.certificate, imap_server.user, imap_server.password) as sink:
        yield sink


@pytest.fixture
def imap_proxy(imap_server: Account) -> Iterator[Proxy]:
    """What the backend talks to: Dovecot through a byte-counting forwarder."""
    with proxy.forwarding(imap_server.port) as forwarder:
        yield forwarder


@pytest.fixture
def servers(imap_proxy: Proxy, imap_server: Account, smtp_server: Sink) -> connect.Servers:
    return connect.Servers(
        "127.0.0.1", imap_proxy.port, "127.0.0.1", smtp_server.port, ca_file=imap_server.ca_file
    )


@pytest.fixture
def imap_backend(servers: connect.Servers, imap_server: Account, fake_clock: Any) -> Iterator[ImapBackend]:
    login = PasswordLogin(imap_server.user, Secret(imap_server.password))
    backend = connect.backend(
        servers, login, backoff=Backoff(clock=fake_clock, sleep=fake_clock.sleep, rand=lambda: 0.5)
    )
    yield backend
    backend.close()


class ImapHarness(Harness):
    """The MCP server in-process over the IMAP backend (a server that is not Gmail)."""

    def settings(self, **overrides: Any) -> Settings:
        home = self.home
        paths = overrides.pop("paths", None) or Paths(
            config_dir=home / "config", state_dir=home / "state", data_dir=home / "data"
        )
        return Settings.create(paths=paths, **{"features": frozenset(), **overrides})


@pytest.fixture
def imap_harness(imap_backend: ImapBackend, fake_clock: Any, tmp_path: Path) -> ImapHarness:
    return ImapHarness(sandbox=None, clock=fake_clock, home=tmp_path, backend_factory=lambda: imap_backend)

"""The connection pool against Dovecot: bounded, waits boundedly, and never runs a change on a dead connection."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from gmail_mcp.common import steps
from gmail_mcp.common.retry import Backoff
from gmail_mcp.errors import CancelledCallError, UpstreamError
from gmail_mcp.imap import connect
from gmail_mcp.imap.client import ImapBackend
from gmail_mcp.imap.pool import Connection, ConnectionPool, PasswordLogin, Secret
from tests.imap.conftest import raw_client
from tests.imap.dovecot import Account
from tests.imap.proxy import Proxy


def test_the_pool_never_opens_more_connections_than_its_cap(
    servers: connect.Servers, imap_server: Account, imap_proxy: Proxy, fake_clock: Any
) -> None:
    login = PasswordLogin(imap_server.user, Secret(imap_server.password))
    backend = connect.backend(
        servers, login, pool_size=2, backoff=Backoff(clock=fake_clock, sleep=fake_clock.sleep)
    )
    try:
        with ThreadPoolExecutor(max_workers=8) as workers:
            pages = list(workers.map(lambda _: backend.list_messages("in:inbox"), range(16)))
    finally:
        backend.close()
    assert {len(page.messages) for page in pages} == {4}
    assert imap_proxy.connections == 2


def test_a_call_waits_for_a_busy_connection_only_so_long(
    servers: connect.Servers, imap_server: Account, fake_clock: Any
) -> None:
    login = PasswordLogin(imap_server.user, Secret(imap_server.password))
    pool = ConnectionPool(
        servers.imap(),
        login,
        size=1,
        acquire_timeout=0.2,
        backoff=Backoff(clock=fake_clock, sleep=fake_clock.sleep),
    )
    holding, release = threading.Event(), threading.Event()

    def hold(connection: Connection) -> None:
        holding.set()
        release.wait(10)

    with ThreadPoolExecutor(max_workers=1) as other:
        busy = other.submit(pool.run, hold)
        assert holding.wait(10)
        with pytest.raises(UpstreamError, match="stayed busy"):
            pool.run(lambda c: c.client.noop())
        release.set()
        busy.result(timeout=10)
    assert pool.run(lambda c: c.client.noop())  # the connection is lent again once given back
    pool.close()


def test_a_change_after_a_drop_goes_to_a_fresh_connection_exactly_once(
    imap_backend: ImapBackend, imap_server: Account, imap_proxy: Proxy
) -> None:
    welcome = imap_backend.list_messages("subject:Zürich").messages[0]
    imap_proxy.drop()
    ref = imap_backend.modify_message(welcome.id, add=["STARRED"])
    client = raw_client(imap_server)
    client.select_folder("INBOX", readonly=True)
    flags = client.fetch(client.search(["HEADER", "Message-ID", "<welcome-1@example.org>"]), ["FLAGS"])
    client.logout()
    assert ref.label_ids == ("INBOX", "UNREAD", "STARRED")
    assert [set(f[b"FLAGS"]) for f in flags.values()] == [{b"\\Flagged"}]
    assert imap_proxy.connections == 2


def test_a_cancelled_call_sends_no_further_imap_command(imap_backend: ImapBackend, imap_proxy: Proxy) -> None:
    imap_backend.list_messages("", max_results=5)  # logged in, a connection idle in the pool
    imap_proxy.reset()
    cancelled = steps.Steps()
    cancelled.cancel()
    with steps.running(cancelled), pytest.raises(CancelledCallError):
        imap_backend.list_messages("", max_results=5)
    assert imap_proxy.to_server == 0

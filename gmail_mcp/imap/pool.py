"""A small pool of logged-in IMAP connections: bounded, with timeouts, reconnecting with backoff.

IMAPClient is synchronous and a connection does one command at a time, so each call borrows a
whole connection from the pool and gives it back. The pool is bounded (Gmail allows about 15
connections per account, shared with the person's other mail programs), waiting for a free
connection is bounded too, and every socket operation has a timeout. A connection that fails is
dropped, and an idempotent call is retried on a fresh one after a backoff, so a connection the
server closed (a restart, a network change, an idle timeout) costs a reconnect, not a failed call.
A call that changes the mailbox is not retried blindly: its connection is checked with NOOP just
before, so a connection that died while idle is replaced before the change is sent. No IDLE: the
server is only asked when a tool asks.

When the server refuses a new connection because too many are open ("[ALERT] Too many
simultaneous connections"), the pool stops growing at what it has and waits for one of its own,
or, holding none, retries with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from imapclient import IMAPClient, SocketTimeout

from gmail_mcp.common import steps
from gmail_mcp.common.retry import Backoff, Failure
from gmail_mcp.config import IMAP_ACQUIRE_TIMEOUT, IMAP_CONNECT_TIMEOUT, IMAP_POOL_SIZE, IMAP_TIMEOUT
from gmail_mcp.errors import GmailMcpError, QuotaExceededError, UpstreamError
from gmail_mcp.imap import errors

logger = logging.getLogger("gmail_mcp")
# IMAPClient's protocol trace (DEBUG) holds mail content; it is for debugging IMAPClient, not us.
logging.getLogger("imapclient").setLevel(logging.INFO)
T = TypeVar("T")


class Secret:
    """A password or token that never shows in a repr, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


class Login(Protocol):
    """How to log in to the IMAP and SMTP servers as one user."""

    @property
    def user(self) -> str: ...

    def imap(self, client: IMAPClient) -> None: ...
    def smtp(self, smtp: Any) -> None: ...


@dataclass(frozen=True)
class PasswordLogin:
    """A user name and an app password (IMAP LOGIN, SMTP AUTH PLAIN/LOGIN)."""

    user: str
    password: Secret

    def imap(self, client: IMAPClient) -> None:
        client.login(self.user, self.password.reveal())

    def smtp(self, smtp: Any) -> None:
        smtp.login(self.user, self.password.reveal())


@dataclass(frozen=True)
class OAuthLogin:
    """XOAUTH2 with an OAuth access token (scope https://mail.google.com/), fetched fresh per login."""

    user: str
    access_token: Callable[[], str]

    def _xoauth2(self) -> str:
        return f"user={self.user}\x01auth=Bearer {self.access_token()}\x01\x01"

    def imap(self, client: IMAPClient) -> None:
        client.oauth2_login(self.user, self.access_token())

    def smtp(self, smtp: Any) -> None:
        payload = self._xoauth2()
        smtp.auth("XOAUTH2", lambda challenge=None: payload, initial_response_ok=True)


@dataclass(frozen=True)
class Endpoint:
    """A TLS server: host, port, and an extra CA to trust (test servers); TLS is never turned off."""

    host: str
    port: int
    ca_file: Path | None = None
    connect_timeout: float = IMAP_CONNECT_TIMEOUT
    timeout: float = IMAP_TIMEOUT

    def tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file))
        return context


@dataclass
class Connection:
    """One logged-in connection and what is selected on it."""

    client: IMAPClient
    selected: str | None = None
    writable: bool = False
    uidvalidity: int = 0
    last_used: float = field(default_factory=time.monotonic)

    def select(self, folder: str, *, write: bool = False) -> int:
        """Select `folder` (read-only unless `write`: reading can then never set \\Seen); its UIDVALIDITY."""
        if self.selected != folder or (write and not self.writable):
            answer = self.client.select_folder(folder, readonly=not write)
            self.selected, self.writable = folder, write
            self.uidvalidity = int(answer.get(b"UIDVALIDITY", 0))
        return self.uidvalidity

    def forget_selection(self) -> None:
        self.selected = None


def open_connection(endpoint: Endpoint, login: Login) -> Connection:
    """Connect over TLS and log in.

    Raises:
        Whatever IMAPClient or the socket raise; the pool translates them.
    """
    client = IMAPClient(
        endpoint.host,
        port=endpoint.port,
        ssl=True,
        ssl_context=endpoint.tls(),
        timeout=SocketTimeout(connect=endpoint.connect_timeout, read=endpoint.timeout),
    )
    client.normalise_times = False  # aware datetimes, in the server's offset
    # imaplib writes a command in pieces (the line, then its CRLF): without this, Nagle's algorithm
    # and delayed ACKs stall each command for tens of milliseconds.
    with contextlib.suppress(OSError):
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        login.imap(client)
    except BaseException:
        _close(client)
        raise
    return Connection(client)


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception as exc:  # already closed: nothing to free
            logger.debug("closing an IMAP connection: %s", exc)


class ConnectionPool:
    """At most `size` connections to one account, lent to one call at a time. Thread-safe."""

    def __init__(
        self,
        endpoint: Endpoint,
        login: Login,
        *,
        size: int = IMAP_POOL_SIZE,
        acquire_timeout: float = IMAP_ACQUIRE_TIMEOUT,
        backoff: Backoff | None = None,
        connect: Callable[[Endpoint, Login], Connection] = open_connection,
        check_after: float = 0.0,
    ) -> None:
        if size < 1:
            raise ValueError("the pool needs at least one connection")
        self.endpoint = endpoint
        self.login = login
        self._cap = size
        self._acquire_timeout = acquire_timeout
        self._backoff = backoff or Backoff(base=0.5, cap=8.0, max_attempts=5, deadline=60.0)
        self._connect = connect
        self._check_after = check_after  # seconds idle after which a change first checks with NOOP
        self._idle: list[Connection] = []
        self._open = 0
        self._cond = threading.Condition()
        self.connects = 0  # connections opened, for status and tests
        self._capabilities: frozenset[bytes] | None = None

    # -- running calls ---------------------------------------------------------------------------

    def run(
        self,
        operation: Callable[[Connection], T],
        *,
        what: str = "The request",
        details: Mapping[str, Any] | None = None,
        changes: bool = False,
    ) -> T:
        """`operation(connection)` on a pooled connection, retried on a fresh one when that may be done.

        A call that `changes` the mailbox runs on a connection just checked with NOOP and is not
        retried once sent: if the connection drops mid-change, the error says the change may or
        may not have happened.

        Raises:
            GmailMcpError: the translated failure (CancelledCallError: the call was cancelled
                before this command was sent).
        """
        attempts = self._backoff.start()
        dead = 0
        while True:
            steps.current().check()  # a cancelled call sends no further command
            connection = self._acquire(what, details)
            if changes and not self._alive(connection):
                # Found dead before anything was sent: a fresh connection, at once the first time.
                self._discard(connection)
                dead += 1
                failure = Failure(True, False, message="the connection was closed")
                if dead == 1 or attempts.wait_before_retry(failure):
                    continue
                raise UpstreamError(
                    "Could not get a working connection to the mail server; nothing was changed. "
                    "Check the network and try again.",
                    **dict(details or {}),
                )
            try:
                result = operation(connection)
            except Exception as exc:
                rule = errors.match(exc)
                if rule is None or isinstance(exc, GmailMcpError):
                    self._release(connection)
                    raise
                self._discard(connection) if rule.retryable else self._release(connection)
                if rule.retryable and not changes:
                    failure = Failure(True, True, message=errors.describe(exc))
                    if attempts.wait_before_retry(failure):
                        logger.info("IMAP connection failed (%s); retrying on a new one", failure.message)
                        continue
                if rule.retryable and changes:
                    raise UpstreamError(
                        f"The connection to the mail server dropped during the change ({errors.describe(exc)}); "
                        "it may or may not have happened. Check before trying again.",
                        **dict(details or {}),
                    ) from exc
                raise errors.translate(exc, what, details) from exc
            self._release(connection)
            return result

    def _alive(self, connection: Connection) -> bool:
        """Whether a connection answers NOOP (checked before a change when it sat idle `check_after`)."""
        if time.monotonic() - connection.last_used < self._check_after:
            return True
        try:
            connection.client.noop()
        except Exception as exc:  # whatever NOOP meets, this connection is not one to change mail on
            logger.info("an idle IMAP connection did not answer NOOP (%s); replacing it", exc)
            return False
        return True

    def capabilities(self) -> frozenset[bytes]:
        """The server's capabilities after login (cached: they do not change within a session)."""
        if self._capabilities is None:
            found = self.run(lambda c: frozenset(c.client.capabilities()), what="Capabilities")
            self._capabilities = found
        return self._capabilities

    # -- the pool ----------------------------------------------------------------------------------

    def _acquire(self, what: str, details: Mapping[str, Any] | None) -> Connection:
        deadline = time.monotonic() + self._acquire_timeout
        attempts = self._backoff.start()
        while True:
            with self._cond:
                while not self._idle and self._open >= self._cap:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise UpstreamError(
                            f"All {self._open} connections to the mail server stayed busy for "
                            f"{self._acquire_timeout:g}s; try again in a moment.",
                            **dict(details or {}),
                        )
                    self._cond.wait(remaining)
                if self._idle:
                    return self._idle.pop()
                self._open += 1
            try:
                return self._connect_new()
            except Exception as exc:
                with self._cond:
                    self._open -= 1
                    others = self._open
                    self._cond.notify()
                rule = errors.match(exc)
                if rule is None:
                    raise
                too_many = rule.error is QuotaExceededError and rule.retryable
                if too_many and others > 0:
                    with self._cond:
                        # The account is at its limit: make do with the connections we have.
                        self._cap = max(1, others)
                    logger.warning("the mail server refused more connections; using %d", others)
                    continue
                failure = Failure(rule.retryable, False, message=errors.describe(exc))
                if rule.retryable and attempts.wait_before_retry(failure):
                    logger.info("could not connect to the mail server (%s); retrying", failure.message)
                    continue
                raise errors.translate(exc, what, details) from exc

    def _connect_new(self) -> Connection:
        connection = self._connect(self.endpoint, self.login)
        self.connects += 1
        if self._capabilities is None:
            # Known from the login, so no call needs a second connection to ask.
            self._capabilities = frozenset(connection.client.capabilities())
        return connection

    def _release(self, connection: Connection) -> None:
        connection.last_used = time.monotonic()
        with self._cond:
            self._idle.append(connection)
            self._cond.notify()

    def _discard(self, connection: Connection) -> None:
        _close(connection.client)
        with self._cond:
            self._open -= 1
            self._cond.notify()

    def close(self) -> None:
        """Log out of every idle connection."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for connection in idle:
            _close(connection.client)

"""An SMTP server that keeps what it receives: implicit TLS, AUTH required, for the sending tests."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.imap.certs import Certificate
from tests.imap.dovecot import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class Sink:
    """The messages received, and the logins tried (user, whether accepted)."""

    user: str
    password: str
    port: int = 0
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered 550 at RCPT

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 The email account that you tried to reach does not exist."
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode()
        accepted = user == self.user and auth_data.password.decode() == self.password
        self.logins.append((user, accepted))
        return AuthResult(success=accepted, handled=False)  # aiosmtpd then answers 535 to a refusal


@contextlib.contextmanager
def running(
    certificate: Certificate, user: str, password: str, *, implicit_tls: bool = False
) -> Iterator[Sink]:
    """An SMTP sink on a free port: STARTTLS required before AUTH (port 587's way), or implicit TLS (465's)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate.cert), str(certificate.key))
    sink = Sink(user, password, port=free_port())
    tls: dict[str, Any] = (
        # The whole session is TLS already: AUTH needs no STARTTLS.
        {"ssl_context": context, "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=sink.port,
        authenticator=sink.authenticate,
        auth_required=True,
        ready_timeout=10,
        **tls,
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()

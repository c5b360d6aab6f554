"""Sending over SMTP: implicit TLS or STARTTLS, never plain; once; Bcc in the envelope only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from gmail_mcp.common.retry import Backoff
from gmail_mcp.errors import AuthError, InvalidParamsError, UpstreamError
from gmail_mcp.imap.pool import Endpoint, PasswordLogin, Secret
from tests.imap import smtp_sink
from tests.imap.certs import Certificate, self_signed
from tests.imap.dovecot import free_port
from tests.imap.smtp_sink import Sink

USER, PASSWORD = "alice@example.test", "abcd efgh ijkl mnop"
MESSAGE = (
    b"To: Bob <bob@example.net>\r\nCc: carol@example.org\r\nBcc: boss@example.org,\r\n\tother@example.org\r\n"
    b"Subject: Hi\r\nMessage-ID: <m1@example.test>\r\nFrom: alice@example.test\r\n\r\nBcc: not a header\r\n"
)


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed(tmp_path / "tls")


def sender(
    port: int, certificate: Certificate, *, implicit: bool | None = None, password: str = PASSWORD
) -> Any:
    from gmail_mcp.imap.smtp import SmtpSender

    endpoint = Endpoint("127.0.0.1", port, certificate.cert)
    return SmtpSender(
        endpoint,
        PasswordLogin(USER, Secret(password)),
        backoff=Backoff(max_attempts=1),
        implicit_tls=implicit,
    )


@pytest.mark.parametrize("implicit", [True, False], ids=["implicit-tls", "starttls"])
def test_a_message_is_sent_once_with_bcc_only_in_the_envelope(
    certificate: Certificate, implicit: bool
) -> None:
    with smtp_sink.running(certificate, USER, PASSWORD, implicit_tls=implicit) as sink:
        sender(sink.port, certificate, implicit=implicit).send(MESSAGE)
    assert len(sink.received) == 1
    received = sink.received[0]
    assert received.recipients == [
        "bob@example.net",
        "carol@example.org",
        "boss@example.org",
        "other@example.org",
    ]
    assert received.data == (
        b"To: Bob <bob@example.net>\r\nCc: carol@example.org\r\nSubject: Hi\r\nMessage-ID: <m1@example.test>\r\n"
        b"From: alice@example.test\r\n\r\nBcc: not a header\r\n"
    )
    assert sink.logins == [(USER, True)]


def test_a_server_without_starttls_never_gets_the_password(certificate: Certificate) -> None:
    plain = Sink(USER, PASSWORD, port=free_port())
    controller = Controller(plain, hostname="127.0.0.1", port=plain.port, authenticator=plain.authenticate)
    controller.start()
    try:
        with pytest.raises(UpstreamError, match="does not offer STARTTLS"):
            sender(plain.port, certificate, implicit=False).send(MESSAGE)
    finally:
        controller.stop()
    assert plain.logins == [] and plain.received == []


def test_a_wrong_password_is_an_auth_error_with_the_steps_and_sends_nothing(certificate: Certificate) -> None:
    with (
        smtp_sink.running(certificate, USER, PASSWORD) as sink,
        pytest.raises(AuthError, match="apppasswords"),
    ):
        sender(sink.port, certificate, password="nope").send(MESSAGE)
    assert sink.received == []


def test_an_untrusted_certificate_is_refused(certificate: Certificate, tmp_path: Path) -> None:
    other = self_signed(tmp_path / "other")
    with (
        smtp_sink.running(certificate, USER, PASSWORD, implicit_tls=True) as sink,
        pytest.raises(UpstreamError, match="--ca-file"),
    ):
        sender(sink.port, other, implicit=True).send(MESSAGE)
    assert sink.received == [] and sink.logins == []


def test_a_message_with_a_second_to_header_is_refused_before_anything_is_sent(
    certificate: Certificate,
) -> None:
    smuggled = b"To: bob@example.net\r\nTo: attacker@example.org\r\nSubject: Hi\r\n\r\nHello\r\n"
    with (
        smtp_sink.running(certificate, USER, PASSWORD) as sink,
        pytest.raises(InvalidParamsError, match="more than one To"),
    ):
        sender(sink.port, certificate).send(smuggled)
    assert sink.received == [] and sink.logins == []


def test_a_refused_recipient_is_a_refusal_not_a_maybe(certificate: Certificate) -> None:
    with smtp_sink.running(certificate, USER, PASSWORD) as sink:
        sink.refuse = {"bob@example.net", "carol@example.org", "boss@example.org", "other@example.org"}
        with pytest.raises(InvalidParamsError, match="refused the recipients") as refused:
            sender(sink.port, certificate).send(MESSAGE)
        sink.refuse = {"boss@example.org"}
        with pytest.raises(UpstreamError, match="Do not send it again") as partly:
            sender(sink.port, certificate).send(MESSAGE)
    assert "may or may not" not in refused.value.message
    assert partly.value.details["refused"] == ["boss@example.org"]
    assert [r.recipients for r in sink.received] == [
        ["bob@example.net", "carol@example.org", "other@example.org"]
    ]

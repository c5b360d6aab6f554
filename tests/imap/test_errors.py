"""The one error table of the IMAP backend: the most specific row wins, and it says whether to retry."""

from __future__ import annotations

import imaplib
import smtplib
import ssl

import pytest
from imapclient.exceptions import LoginError

from gmail_mcp.errors import (
    AuthError,
    GmailMcpError,
    InvalidParamsError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    UpstreamError,
)
from gmail_mcp.imap import errors


@pytest.mark.parametrize(
    ("failure", "error", "retryable"),
    [
        (LoginError("b'[ALERT] Too many simultaneous connections. (Failure)'"), QuotaExceededError, True),
        (imaplib.IMAP4.abort("BYE [ALERT] Too many simultaneous connections."), QuotaExceededError, True),
        (LoginError("b'[AUTHENTICATIONFAILED] Invalid credentials (Failure)'"), AuthError, False),
        (
            LoginError("b'[ALERT] Please log in via your web browser: https://support.google.com/'"),
            AuthError,
            False,
        ),
        (
            smtplib.SMTPAuthenticationError(535, b"5.7.8 Username and Password not accepted."),
            AuthError,
            False,
        ),
        (ssl.SSLCertVerificationError("certificate verify failed"), UpstreamError, False),
        (ssl.SSLError("decryption failed"), UpstreamError, True),
        (imaplib.IMAP4.abort("socket error: EOF"), UpstreamError, True),
        (TimeoutError("timed out"), UpstreamError, True),
        (ConnectionResetError(104, "reset"), UpstreamError, True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), UpstreamError, True),
        (imaplib.IMAP4.error("b'[UNAVAILABLE] Temporary failure'"), UpstreamError, True),
        (imaplib.IMAP4.error("b'[NONEXISTENT] Unknown Mailbox: Nope (Failure)'"), NotFoundError, False),
        (
            imaplib.IMAP4.error("b'[OVERQUOTA] Account exceeded command or bandwidth limits.'"),
            QuotaExceededError,
            False,
        ),
        (imaplib.IMAP4.error("b'[ALREADYEXISTS] Duplicate folder name'"), InvalidParamsError, False),
        (smtplib.SMTPRecipientsRefused({"x@y": (550, b"no such user")}), InvalidParamsError, False),
        (smtplib.SMTPSenderRefused(553, b"not yours", "alice@example.test"), PermissionDeniedError, False),
        (smtplib.SMTPDataError(552, b"5.3.4 Message size exceeds fixed limit"), InvalidParamsError, False),
        (imaplib.IMAP4.error("b'Could not parse command'"), InvalidParamsError, False),
    ],
)
def test_each_failure_becomes_its_error_and_retry_decision(
    failure: BaseException, error: type[GmailMcpError], retryable: bool
) -> None:
    translated = errors.translate(failure, "Email 1", {"email_id": "1"})
    assert type(translated) is error
    assert errors.retryable(failure) is retryable
    assert translated.details == {"email_id": "1"}
    assert "Traceback" not in translated.message and translated.message.endswith((".", ")"))


def test_what_is_not_a_mail_failure_is_not_disguised_as_one() -> None:
    with pytest.raises(TypeError):
        errors.translate(KeyError("a bug"))

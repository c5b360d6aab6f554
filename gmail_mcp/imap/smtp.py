"""Sending over SMTP, at most once: implicit TLS (port 465) or STARTTLS (any other port), never plain.

Everything up to the login is retried with backoff (nothing has been sent yet). The message itself
is handed over once: if the connection fails after that, the mail may or may not have gone, and
the error says exactly that instead of sending it again. The Bcc header is removed from what goes
over the wire (its addresses stay in the envelope), as every mail program does.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import logging
import re
import smtplib
from dataclasses import dataclass

from gmail_mcp.common.retry import Backoff, Failure
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, UpstreamError
from gmail_mcp.imap import errors
from gmail_mcp.imap.pool import Endpoint, Login

logger = logging.getLogger("gmail_mcp")
IMPLICIT_TLS_PORT = 465
_BCC_LINE = re.compile(rb"^bcc[ \t]*:", re.IGNORECASE)


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: tuple[str, ...]
    wire: bytes  # the message as transmitted: without its Bcc header


def envelope(raw: bytes, sender: str) -> Envelope:
    """The SMTP envelope of a message we built: its To, Cc and Bcc addresses.

    Raises:
        InvalidParamsError: the message names no recipient, or has two To, Cc or Bcc headers.
    """
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    for name in ("To", "Cc", "Bcc"):
        # RFC 5322 allows one of each; a second (in a draft written elsewhere) would reach people
        # the recipient checks, which read the first, never saw.
        if len(headers.get_all(name, [])) > 1:
            raise InvalidParamsError(f"The message has more than one {name} header; nothing was sent.")
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in headers.get_all(name, [])]
    recipients = tuple(dict.fromkeys(a for _, a in email.utils.getaddresses(values) if a and "@" in a))
    if not recipients:
        raise InvalidParamsError("The message has no recipient; nothing was sent.")
    return Envelope(sender, recipients, without_bcc(raw))


def without_bcc(raw: bytes) -> bytes:
    """`raw` without its Bcc header (and the header's continuation lines); the body is untouched."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    dropping = False
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        dropping = bool(_BCC_LINE.match(line))
        if not dropping:
            kept.append(line)
    return b"".join(kept) + separator + body


class SmtpSender:
    """Sends raw messages through one SMTP server as one user. Thread-safe (a connection per send)."""

    def __init__(
        self,
        endpoint: Endpoint,
        login: Login,
        *,
        backoff: Backoff | None = None,
        implicit_tls: bool | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.login = login
        self._backoff = backoff or Backoff(base=0.5, cap=8.0, max_attempts=4, deadline=60.0)
        # Implicit TLS on port 465 (smtp.gmail.com's default), STARTTLS on any other port.
        self.implicit_tls = endpoint.port == IMPLICIT_TLS_PORT if implicit_tls is None else implicit_tls
        self.sent = 0

    def _connect(self) -> smtplib.SMTP:
        endpoint = self.endpoint
        context = endpoint.tls()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                endpoint.host, endpoint.port, timeout=endpoint.connect_timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=endpoint.connect_timeout)
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                smtp.close()
                raise UpstreamError(
                    f"{endpoint.host}:{endpoint.port} does not offer STARTTLS; gmail-mcp never sends a "
                    "password or mail unencrypted. Use the server's TLS port (465) or its STARTTLS port (587)."
                )
            smtp.starttls(context=context)
        smtp.ehlo()
        if smtp.sock is not None:
            smtp.sock.settimeout(endpoint.timeout)
        try:
            self.login.smtp(smtp)
        except BaseException:
            _quit(smtp)
            raise
        return smtp

    def _connected(self) -> smtplib.SMTP:
        attempts = self._backoff.start()
        while True:
            try:
                return self._connect()
            except GmailMcpError:
                raise
            except Exception as exc:
                rule = errors.match(exc)
                if rule is None:
                    raise
                failure = Failure(rule.retryable, False, message=errors.describe(exc))
                if rule.retryable and attempts.wait_before_retry(failure):
                    logger.info("could not reach the SMTP server (%s); retrying", failure.message)
                    continue
                raise errors.translate(exc, "The login to the SMTP server") from exc

    def send(self, raw: bytes) -> Envelope:
        """Send `raw` once from the logged-in user to its To, Cc and Bcc.

        Raises:
            InvalidParamsError: no recipient, or the server refused recipients or the message.
            AuthError: the login was refused (with the app-password steps).
            UpstreamError: the server could not be reached (nothing was sent), or the connection
                failed while the message was being handed over (it may or may not have been sent).
        """
        message = envelope(raw, self.login.user)
        smtp = self._connected()
        try:
            refused = smtp.sendmail(message.sender, list(message.recipients), message.wire)
        except smtplib.SMTPException as exc:
            if not isinstance(exc, smtplib.SMTPServerDisconnected):
                # A refusal (smtplib's errors are OSErrors too): the server said no, nothing went.
                raise errors.translate(exc, "The message", {"recipients": list(message.recipients)}) from exc
            raise _maybe_sent(exc, message) from exc
        except OSError as exc:
            raise _maybe_sent(exc, message) from exc
        finally:
            _quit(smtp)
        self.sent += 1
        if refused:
            raise UpstreamError(
                f"The message was sent, but the server refused it for {', '.join(sorted(refused))}. "
                "Do not send it again to the others.",
                refused=sorted(refused),
            )
        return message

    def verify(self) -> None:
        """Connect and log in, then leave (what `gmail-mcp auth --imap` checks)."""
        _quit(self._connected())


def _maybe_sent(exc: BaseException, message: Envelope) -> UpstreamError:
    return UpstreamError(
        f"The connection to the SMTP server failed while the message was handed over "
        f"({errors.describe(exc)}): it may or may not have been sent. Check the Sent folder before "
        "sending it again.",
        recipients=list(message.recipients),
    )


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()

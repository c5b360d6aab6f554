"""The one error boundary of the Gmail REST backend: Google's failures -> the error tree.

Two steps, as the retry decisions need: `classify` turns what a call raised (`HttpError`, a token
refresh or transport failure) into a `Failure`, the pure fact retries are decided on; once retries
are spent, `translate` walks one table, most specific rule first, to the `GmailMcpError` a model
or person can act on. The caller chains it with `from` the exception. The IMAP backend's boundary
(`gmail_mcp.imap.errors`) has the same shape: a `Rule`, a `RULES` table, `match` and `translate`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from gmail_mcp.common.pacing import QuotaWait
from gmail_mcp.common.retry import (
    RATE_LIMIT_REASONS,
    SENDING_CAP,
    Attempts,
    Failure,
    classify_http,
    classify_transport,
)
from gmail_mcp.errors import (
    AuthError,
    GmailMcpError,
    InvalidParamsError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    UpstreamError,
)
from gmail_mcp.gmail import scopes

# Builds the error for a non-idempotent call whose effect is unknown (given a short description
# of the last failure): it may have happened, so never "failed", never "try again".
UnknownOutcome = Callable[[str], GmailMcpError]

INVALID_GRANT_HELP = (
    "Google refused to renew the saved Gmail login (invalid_grant: the refresh token has expired "
    "or was revoked). Likely causes: the Google Cloud app is in 'Testing' publishing status, where "
    "Google expires refresh tokens after 7 days (publish it: Google Cloud console > APIs & Services "
    "> OAuth consent screen > Publish app, then log in again); access was removed at "
    "https://myaccount.google.com/permissions; the account password changed; the token went unused "
    "for 6 months; or the computer's clock is wrong. Run `gmail-mcp auth` to log in again."
)
SENDING_LIMIT = (
    "Gmail's daily sending limit is reached; sending works again after {retry_after}. Nothing was sent."
)
MISSING_SCOPE = (
    "The saved Gmail login does not grant {scope}, which this needs. "
    "Run `gmail-mcp auth` to grant it (without --read-only)."
)
RATE_LIMIT = "Gmail's rate limit kept refusing{tries}; try again after retry_after seconds."
TOO_LARGE = (
    # Gmail refuses JSON bodies over about 5 MiB and uploads over 35 MB; this client sends anything
    # over 4 MiB as an upload, so a 413 here is Gmail's own limit or a change in it.
    "Gmail refused the request as too large (HTTP 413: {said}). "
    "Gmail takes messages up to 35 MB with at most 25 MB of attachments; nothing was changed."
)
NO_ANSWER = "Could not reach Gmail ({said}){tries}; check the network connection and try again."


class _AnyStatus:
    """Whatever HTTP status Gmail answered with."""

    def __contains__(self, status: object) -> bool:
        return True


_ANY_STATUS = _AnyStatus()


@dataclass(frozen=True)
class Target:
    """What a call is about, for error messages and details: Target("Message", email_id="...")."""

    what: str = "Resource"
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, what: str, **details: Any) -> Target:
        return cls(what, details)

    def describe(self) -> str:
        ident = next(iter(self.details.values()), None)
        return f"{self.what} {ident}" if ident else self.what


@dataclass(frozen=True)
class Rule:
    """One row of the table: a failure with this status (reason, words) becomes this error.

    `statuses` None matches a failure without any HTTP answer (the network, a dropped connection);
    empty `reasons` match any reason. `adds` names facts (see `_facts`) put in the error's details;
    `said` is what to quote when Gmail's answer carried no message.
    """

    statuses: Container[int] | None
    error: type[GmailMcpError]
    message: str
    reasons: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    adds: tuple[str, ...] = ()
    said: str = ""


def _text(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


# Most specific first: a 429 for the daily sending cap is not a rate limit to wait out, a 400 for a
# malformed id is not any bad request, and a 403 names a missing scope or a quota before "refused".
RULES: tuple[Rule, ...] = (
    Rule({429}, QuotaExceededError, SENDING_LIMIT, pattern=SENDING_CAP, adds=("retry_after",)),
    Rule(
        {404},
        NotFoundError,
        "{what} was not found in Gmail: it may have been deleted, or the id is wrong.",
    ),
    Rule({400}, InvalidParamsError, "{what}: that is not a valid Gmail id.", pattern=_text(r"invalid id")),
    Rule({401}, AuthError, "Gmail rejected the saved login (401). Run `gmail-mcp auth` to log in again."),
    Rule(
        {403},
        PermissionDeniedError,
        MISSING_SCOPE,
        reasons=frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}),
        adds=("required_scope",),
    ),
    Rule(
        {403},
        QuotaExceededError,
        "The Google Cloud project's daily Gmail API quota is used up; it resets at midnight Pacific time.",
        reasons=frozenset({"dailyLimitExceeded"}),
    ),
    Rule({403}, QuotaExceededError, RATE_LIMIT, reasons=RATE_LIMIT_REASONS),
    Rule({429}, QuotaExceededError, RATE_LIMIT),
    Rule({403}, PermissionDeniedError, "Gmail refused: {said}."),
    Rule({413}, InvalidParamsError, TOO_LARGE, said="Request Entity Too Large"),
    Rule(range(400, 500), InvalidParamsError, "Gmail rejected the request: {said}."),
    Rule(
        _ANY_STATUS,
        UpstreamError,
        "Gmail kept failing (HTTP {status}{reason}){tries}; try again in a minute.",
    ),
    Rule(None, UpstreamError, NO_ANSWER),
)


def match(failure: Failure) -> Rule:
    """The first rule of the table that covers `failure` (the last two cover every failure)."""
    return next(rule for rule in RULES if _covers(rule, failure))


def _covers(rule: Rule, failure: Failure) -> bool:
    if rule.statuses is None:
        if failure.status is not None:
            return False
    elif failure.status is None or failure.status not in rule.statuses:
        return False
    if rule.reasons and failure.reason not in rule.reasons:
        return False
    return rule.pattern is None or rule.pattern.search(failure.message) is not None


def translate(failure: Failure, target: Target, method: str, attempts: Attempts | None) -> GmailMcpError:
    """The `GmailMcpError` for `failure` of a call of `method` about `target` (chain it with `from`)."""
    rule = match(failure)
    facts = _facts(failure, target, method, attempts, rule.said)
    added = {name: facts[name] for name in rule.adds}
    return rule.error(rule.message.format(**facts), **added, **target.details)


def _facts(
    failure: Failure, target: Target, method: str, attempts: Attempts | None, said: str
) -> dict[str, Any]:
    """What a rule's message may say, and what it may add to the details."""
    needed = scopes.METHOD_SCOPE.get(method, scopes.MODIFY)
    return {
        "what": target.describe(),
        "said": failure.message or said or failure.reason,
        "status": failure.status,
        "reason": f" {failure.reason}" if failure.reason else "",
        "tries": f" after {attempts.retries + 1} attempts" if attempts and attempts.retries else "",
        "retry_after": failure.sending_cap_until,
        "scope": scopes.short_name(needed),
        "required_scope": needed,
    }


def classify(exc: Exception, target: Target) -> Failure:
    """A Failure for what may be retried; raises at once for what never can be.

    Raises:
        AuthError: Google refused to renew the login.
        GmailMcpError: `exc` itself, already translated.
        Exception: `exc`, when it is no failure of Gmail or the network (a bug: let it surface).
    """
    if isinstance(exc, GmailMcpError):
        raise exc
    if isinstance(exc, HttpError):
        return classify_http_error(exc)
    if isinstance(exc, auth_exceptions.RefreshError):
        if "invalid_grant" in str(exc):
            raise AuthError(INVALID_GRANT_HELP, cause="invalid_grant") from exc
        raise AuthError(
            f"Could not renew the saved Gmail login ({exc}). Run `gmail-mcp auth` to log in again."
        ) from exc
    if isinstance(exc, auth_exceptions.TransportError):
        return Failure(True, False, message=f"could not reach Google's token service: {exc}")
    failure = classify_transport(exc)
    if failure is None:
        raise exc
    return failure


def classify_http_error(exc: HttpError) -> Failure:
    reason, message = _error_reason(exc)
    return classify_http(exc.resp.status, reason, message, exc.resp.get("retry-after"))


def _error_reason(exc: HttpError) -> tuple[str, str]:
    """(reason, message) from Google's error JSON, tolerating other bodies."""
    try:
        error = json.loads(exc.content.decode("utf-8", "replace")).get("error", {})
    except (ValueError, AttributeError):
        return "", str(getattr(exc, "reason", "") or "")
    if not isinstance(error, dict):
        return "", str(error)
    details = error.get("errors") or [{}]
    reason = details[0].get("reason", "") if isinstance(details[0], dict) else ""
    return reason or error.get("status", ""), error.get("message", "")


def brief(failure: Failure) -> str:
    """The last failure in a few words, for an error that must not say more than is known."""
    if failure.status:
        return f"HTTP {failure.status}{' ' + failure.reason if failure.reason else ''}"
    return failure.message or "no answer"


def unknown_outcome(failure: Failure, target: Target, unknown: UnknownOutcome | None) -> GmailMcpError:
    """The error for a change Gmail did not confirm: it may or may not have happened."""
    if unknown is not None:
        return unknown(brief(failure))
    return UpstreamError(
        f"Gmail did not confirm the change to {target.describe()} ({brief(failure)}); "
        "it may or may not have happened. Check before trying again.",
        outcome="unknown",
        **target.details,
    )


def quota_wait_error(wait: QuotaWait) -> QuotaExceededError:
    return QuotaExceededError(
        f"Gmail's per-user quota is used up for now: this call's turn would come in "
        f"{wait.retry_after_seconds} s, longer than the {wait.max_wait:g} s it may wait. "
        f"Nothing was sent; try again in {wait.retry_after_seconds} s.",
        retry_after=wait.retry_after_seconds,
    )

"""Google's JSON error shape, raised anywhere in the sandbox and rendered at the HTTP edge.

Every Gmail failure the sandbox answers has the body real clients parse::

    {"error": {"code": 404, "message": "Requested entity was not found.",
               "errors": [{"message": "...", "domain": "global", "reason": "notFound"}],
               "status": "NOT_FOUND"}}

googleapiclient's `HttpError` reads `message` into `.reason` and the `errors` list into
`.error_details`, so there is deliberately no `details` key (it would take precedence).
"""

from __future__ import annotations

import json

# The canonical gRPC status Google puts beside each HTTP code.
_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_DEFAULT_REASON = {
    400: "invalidArgument",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "alreadyExists",
    413: "uploadTooLarge",
    429: "rateLimitExceeded",
    500: "backendError",
    501: "notImplemented",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}

_DEFAULT_MESSAGE = {
    400: "Bad Request",
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "Requested entity already exists",
    413: "Request Entity Too Large",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    501: "Operation is not implemented, or supported, or enabled.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}

AUTH_INVALID = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
AUTH_MISSING = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
QUOTA_EXCEEDED = (
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
    "'gmail.googleapis.com' for consumer 'project_number:000000000000'."
)


class ApiError(Exception):
    """A Gmail API failure with Google's code, reason, message and gRPC status."""

    def __init__(
        self,
        code: int,
        reason: str | None = None,
        message: str | None = None,
        *,
        status: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        domain: str = "global",
    ) -> None:
        self.code = code
        self.domain = domain
        self.reason = reason or _DEFAULT_REASON.get(code, "backendError")
        self.message = message or _DEFAULT_MESSAGE.get(code, "Error")
        self.status = status or _STATUS_BY_CODE.get(code, "UNKNOWN")
        self.headers = headers
        super().__init__(f"{code} {self.reason}: {self.message}")

    def body(self) -> dict[str, object]:
        """The JSON object Google answers with."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
                "status": self.status,
            }
        }

    def to_bytes(self) -> bytes:
        """The body as UTF-8 JSON."""
        return json.dumps(self.body(), ensure_ascii=False).encode("utf-8")


def invalid(message: str) -> ApiError:
    """400 invalidArgument, Gmail's answer to a malformed request."""
    return ApiError(400, "invalidArgument", message)


def failed_precondition(message: str) -> ApiError:
    """400 failedPrecondition (Gmail uses 400, not 412, for these)."""
    return ApiError(400, "failedPrecondition", message, status="FAILED_PRECONDITION")


def not_found() -> ApiError:
    """404 notFound for a well-formed id that names nothing."""
    return ApiError(404, "notFound", "Requested entity was not found.")


def bad_id() -> ApiError:
    """400 for an id that cannot be a Gmail id at all."""
    return invalid("Invalid id value")


def unauthenticated(message: str = AUTH_INVALID) -> ApiError:
    """401 authError with the WWW-Authenticate header Google sends."""
    challenge = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
    return ApiError(401, "authError", message, headers=(("WWW-Authenticate", challenge),))


def insufficient_scope() -> ApiError:
    """403 insufficientPermissions: the token lacks a scope the method needs."""
    challenge = (
        'Bearer realm="https://accounts.google.com/", error="insufficient_scope", '
        'scope="https://mail.google.com/"'
    )
    return ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        headers=(("WWW-Authenticate", challenge),),
    )


def rate_limited() -> ApiError:
    """403 userRateLimitExceeded: the per-user per-minute quota is spent.

    Google's quota page names userRateLimitExceeded as the reason for the per-user limit, and its
    "Resolve errors" page shows it as a 403 in the usageLimits domain. (Gmail also answers 429 for
    quota; the sandbox keeps 429 for its per-user concurrency cap, so each refusal has one shape.)
    """
    return ApiError(403, "userRateLimitExceeded", QUOTA_EXCEEDED, domain="usageLimits")

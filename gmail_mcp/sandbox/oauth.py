"""Stand-ins for Google's OAuth endpoints, and the check of bearer tokens on Gmail calls.

`/o/oauth2/auth` consents at once and redirects to the loopback `redirect_uri`; `/token` exchanges
the code (checking client, redirect URI and the PKCE verifier) and refreshes; `/revoke` revokes.
Tokens issued here expire by the sandbox clock and carry their scopes. A bearer token the sandbox
never issued gets full access, so the sandbox also works with no OAuth at all.

Whose mail a token reaches (a sandbox may serve several users): a consent is given as the user its
`login_hint` names (Google's own parameter, which preselects the account), else as the sandbox's
first user; its tokens act as that user only. A token the sandbox did not issue acts as the first
user, or as ADDRESS when it is `user:ADDRESS` (a stand-in for one login per user, for tests and for
`serve --sandbox` with several accounts).

Two ways to test a client's handling of what Google does:
- a partial grant (`FaultBook.take_consent`): the next consent grants only some of the scopes
  asked for, as when a person unticks some on Google's granular consent screen;
- `accept_refresh_token` (also ``POST /__sandbox/tokens``): refresh a token minted elsewhere, so
  any program holding a refresh token can be pointed at the sandbox.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlencode

from gmail_mcp.sandbox.apierror import AUTH_MISSING, ApiError, insufficient_scope, invalid, unauthenticated
from gmail_mcp.sandbox.wire import Reply, json_reply

ACCESS_LIFETIME = 3599
CODE_LIFETIME = 600
_LOOPBACK = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}(/[^#\s]*)?")


DEFAULT_ACCEPTED_SCOPES = ("https://mail.google.com/",)


UNISSUED_USER_PREFIX = "user:"


@dataclass
class Grant:
    """One consent: a client (None: any client), its scopes, its refresh token when offline access
    was asked, and the user it was given as (None: the sandbox's first user)."""

    client_id: str | None
    scopes: tuple[str, ...]
    refresh_token: str | None
    revoked: bool = False
    user: str | None = None


@dataclass(frozen=True)
class Identity:
    """What a bearer token may do: its scopes (None: every scope) and whose mail it reaches (None:
    the sandbox's first user)."""

    scopes: frozenset[str] | None
    user: str | None


@dataclass
class _Code:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    challenge_method: str
    expires_at: float


@dataclass
class _Access:
    grant: Grant
    expires_at: float


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return json_reply(status, {"error": error, "error_description": description})


def _page(status: int, title: str, detail: str) -> Reply:
    body = (
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(detail)}</p>"
    ).encode()
    return Reply(status, body, [("Content-Type", "text/html; charset=utf-8")])


def _first(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[0] if values else ""


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class OAuthServer:
    """Codes, tokens and grants, all in memory, timed by the sandbox clock."""

    def __init__(
        self,
        clock: Callable[[], float],
        take_refresh_fault: Callable[[], str | None],
        take_consent: Callable[[], tuple[str, ...] | None] = lambda: None,
        users: Callable[[], list[str]] = list,
    ) -> None:
        self._clock = clock
        self._users = users  # the sandbox's users' addresses, the first being the default
        self._take_refresh_fault = take_refresh_fault
        self._take_consent = take_consent
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, Grant] = {}

    def authorize(self, params: dict[str, list[str]]) -> Reply:
        """GET /o/oauth2/auth: immediate consent, 302 to the redirect URI with code and state."""
        client_id = _first(params, "client_id")
        redirect_uri = _first(params, "redirect_uri")
        if not client_id:
            return _page(400, "Error 400: invalid_request", "Missing required parameter: client_id")
        if not _LOOPBACK.fullmatch(redirect_uri):
            return _page(
                400,
                "Error 400: invalid_request",
                "redirect_uri must be a loopback address: http://127.0.0.1:<port>/ or http://localhost:<port>/",
            )
        if _first(params, "response_type") != "code":
            return _page(400, "Error 400: unsupported_response_type", "response_type must be 'code'")
        scopes = tuple(_first(params, "scope").split())
        if not scopes:
            return _page(400, "Error 400: invalid_request", "Missing required parameter: scope")
        challenge = _first(params, "code_challenge") or None
        method = _first(params, "code_challenge_method") or "plain"
        if challenge and method not in ("S256", "plain"):
            return _page(400, "Error 400: invalid_request", "code_challenge_method must be S256 or plain")
        hint = _first(params, "login_hint").strip()
        user = None
        if hint:
            user = next((u for u in self._users() if u.casefold() == hint.casefold()), None)
            if user is None:
                return _page(
                    400,
                    "Error 400: invalid_request",
                    f"This sandbox has no account {hint}; its accounts: {', '.join(self._users())}",
                )
        offline = _first(params, "access_type") == "offline"
        partial = self._take_consent()
        if partial is not None:
            # Google's granular consent: the person left only these ticked (the order asked is kept).
            scopes = tuple(scope for scope in scopes if scope in partial)
            if not scopes:
                query = {
                    "error": "access_denied",
                    **({"state": _first(params, "state")} if "state" in params else {}),
                }
                separator = "&" if "?" in redirect_uri else "?"
                return Reply(302, b"", [("Location", redirect_uri + separator + urlencode(query))])
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        refresh = "1//sandbox-" + secrets.token_urlsafe(32) if offline else None
        grant = Grant(client_id, scopes, refresh, user=user)
        with self._lock:
            self._codes[code] = _Code(grant, redirect_uri, challenge, method, self._clock() + CODE_LIFETIME)
        query = {"code": code, "scope": " ".join(scopes)}
        if "state" in params:
            query = {"state": _first(params, "state"), **query}
        separator = "&" if "?" in redirect_uri else "?"
        return Reply(302, b"", [("Location", redirect_uri + separator + urlencode(query))])

    def token(self, form: dict[str, list[str]], client_from_basic: str | None) -> Reply:
        """POST /token: authorization_code and refresh_token grants, with Google's error bodies."""
        grant_type = _first(form, "grant_type")
        client_id = _first(form, "client_id") or client_from_basic or ""
        if grant_type == "authorization_code":
            return self._exchange(form, client_id)
        if grant_type == "refresh_token":
            return self._refresh_grant(form, client_id)
        return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _exchange(self, form: dict[str, list[str]], client_id: str) -> Reply:
        code_text = _first(form, "code")
        if not code_text:
            return _oauth_error(400, "invalid_request", "Missing required parameter: code")
        with self._lock:
            code = self._codes.pop(code_text, None)  # single use, as Google's
        if code is None or code.expires_at <= self._clock():
            return _oauth_error(400, "invalid_grant", "Malformed auth code.")
        if client_id != code.grant.client_id:
            return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if _first(form, "redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge:
            verifier = _first(form, "code_verifier")
            if not verifier:
                return _oauth_error(400, "invalid_grant", "Missing code verifier.")
            expected = _s256(verifier) if code.challenge_method == "S256" else verifier
            if not secrets.compare_digest(expected, code.challenge):
                return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        body = self._issue(code.grant)
        if code.grant.refresh_token:
            with self._lock:
                self._refresh[code.grant.refresh_token] = code.grant
            body["refresh_token"] = code.grant.refresh_token
        return json_reply(200, body)

    def _refresh_grant(self, form: dict[str, list[str]], client_id: str) -> Reply:
        token = _first(form, "refresh_token")
        if not token:
            return _oauth_error(400, "invalid_request", "Missing required parameter: refresh_token")
        injected = self._take_refresh_fault()
        if injected is not None:
            return _oauth_error(400, injected, "Token has been expired or revoked.")
        with self._lock:
            grant = self._refresh.get(token)
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if grant.client_id is not None and client_id != grant.client_id:
            return _oauth_error(401, "invalid_client", "Unauthorized")
        return json_reply(200, self._issue(grant))

    def accept_refresh_token(
        self,
        refresh_token: str,
        *,
        client_id: str | None = None,
        scopes: tuple[str, ...] = DEFAULT_ACCEPTED_SCOPES,
        user: str | None = None,
    ) -> None:
        """Refresh `refresh_token` from now on, as if it had been issued here: for `client_id` only,
        or for any client when None, with access tokens carrying `scopes` and acting as `user` (None:
        the first user)."""
        if not refresh_token:
            raise ValueError("refresh_token must not be empty")
        with self._lock:
            self._refresh[refresh_token] = Grant(client_id, tuple(scopes), refresh_token, user=user)

    def accept_refresh_token_spec(self, spec: object) -> dict[str, object]:
        """POST /__sandbox/tokens: {"refresh_token", "client_id"?, "scopes"?, "user"?}; 400 when malformed."""
        if not isinstance(spec, dict) or set(spec) - {"refresh_token", "client_id", "scopes", "user"}:
            raise invalid(
                'The body must be {"refresh_token": ..., "client_id"?: ..., "scopes"?: [...], "user"?: ...}'
            )
        token, client, scopes = spec.get("refresh_token"), spec.get("client_id"), spec.get("scopes")
        user = spec.get("user")
        if not isinstance(token, str) or not token:
            raise invalid("'refresh_token' must be a non-empty string")
        if client is not None and not isinstance(client, str):
            raise invalid("'client_id' must be a string")
        if user is not None and not (isinstance(user, str) and user in self._users()):
            raise invalid(f"'user' must be one of this sandbox's accounts: {', '.join(self._users())}")
        if scopes is None:
            scopes = list(DEFAULT_ACCEPTED_SCOPES)
        if not isinstance(scopes, list) or not scopes or not all(isinstance(x, str) and x for x in scopes):
            raise invalid("'scopes' must be a non-empty list of scopes")
        self.accept_refresh_token(token, client_id=client, scopes=tuple(scopes), user=user)
        accepted: dict[str, object] = {"refresh_token": token, "client_id": client, "scopes": scopes}
        return {**accepted, "user": user} if user is not None else accepted

    def _issue(self, grant: Grant) -> dict[str, object]:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        with self._lock:
            self._access[token] = _Access(grant, self._clock() + ACCESS_LIFETIME)
        return {
            "access_token": token,
            "expires_in": ACCESS_LIFETIME,
            "scope": " ".join(grant.scopes),
            "token_type": "Bearer",
        }

    def revoke(self, params: dict[str, list[str]]) -> Reply:
        """POST /revoke?token=...: revoking either token ends the whole grant, as Google does."""
        token = _first(params, "token")
        with self._lock:
            access = self._access.get(token)
            grant = access.grant if access else self._refresh.get(token)
            if grant is None or grant.revoked:
                return _oauth_error(400, "invalid_token", "Token expired or revoked")
            grant.revoked = True
        return json_reply(200, {})

    def identify(self, authorization: str) -> Identity:
        """The scopes and user of a bearer token (see the module docstring for tokens not issued
        here). Raises 401 for a missing, expired or revoked token."""
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated(AUTH_MISSING)
        with self._lock:
            access = self._access.get(token)
        if access is None:
            named = (
                token.removeprefix(UNISSUED_USER_PREFIX) if token.startswith(UNISSUED_USER_PREFIX) else None
            )
            return Identity(None, named)
        if access.grant.revoked or access.expires_at <= self._clock():
            raise unauthenticated()
        return Identity(frozenset(access.grant.scopes), access.grant.user)


SANDBOX_CLIENT_ID = "000000000000-gmail-mcp-sandbox.apps.googleusercontent.com"


def installed_client(base_url: str) -> dict[str, object]:
    """GET /__sandbox/oauth-client: a "Desktop app" OAuth client for this sandbox, in the shape of
    the credentials.json Google Cloud hands out, so a login can be rehearsed with no file written by hand."""
    return {
        "installed": {
            "client_id": SANDBOX_CLIENT_ID,
            "project_id": "gmail-mcp-sandbox",
            "auth_uri": base_url + "/o/oauth2/auth",
            "token_uri": base_url + "/token",
            "client_secret": "GOCSPX-gmail-mcp-sandbox",
            "redirect_uris": ["http://localhost"],
        }
    }


def basic_client_id(authorization: str) -> str | None:
    """The client id of an HTTP Basic Authorization header (how some OAuth libraries send it)."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip()).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, _, _secret = decoded.partition(":")
    return unquote(client_id) or None


def api_error_for_scopes(granted: frozenset[str] | None, allowed: frozenset[str]) -> ApiError | None:
    """403 insufficientPermissions when none of the token's scopes allows the method."""
    if granted is None or granted & allowed:
        return None
    return insufficient_scope()

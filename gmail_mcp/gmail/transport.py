"""HTTP objects for the Google client: authorized, one per thread, and never replaying a send.

httplib2 is not thread-safe, so the client asks this factory for a fresh `Http` per thread.
httplib2 also re-sends a request once, silently, when a kept-alive connection drops before the
answer arrives; for a send that is a second email. Calls that must not be repeated blindly get
a fresh connection whose lost answers surface as `ResponseLostError` instead.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any, Protocol

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials

from gmail_mcp.common.retry import ResponseLostError
from gmail_mcp.config import GMAIL_HTTP_TIMEOUT


class HttpFactory(Protocol):
    def __call__(self, *, no_replay: bool = False) -> Any: ...


class _NoReplayMixin:
    def getresponse(self) -> http.client.HTTPResponse:
        try:
            return super().getresponse()  # type: ignore[misc]
        except TimeoutError:
            raise
        except (http.client.HTTPException, OSError) as exc:
            raise ResponseLostError(f"the connection closed before Gmail answered ({exc!r})") from exc


class _NoReplayHTTPConnection(_NoReplayMixin, httplib2.HTTPConnectionWithTimeout):
    pass


class _NoReplayHTTPSConnection(_NoReplayMixin, httplib2.HTTPSConnectionWithTimeout):
    pass


class NoReplayHttp(httplib2.Http):
    """An `httplib2.Http` whose lost answers raise `ResponseLostError` instead of a re-send."""

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
        connection_type: Any = None,
    ) -> Any:
        if connection_type is None:
            https = uri.lower().startswith("https:")
            connection_type = _NoReplayHTTPSConnection if https else _NoReplayHTTPConnection
        return super().request(uri, method, body, headers, redirections, connection_type)


def refresh_if_expired(http: Any) -> None:
    """Give the credentials behind an authorized `http` a valid access token now, if they have none.

    Raises:
        google.auth.exceptions.RefreshError: Google refused to renew the login.
    """
    credentials = getattr(http, "credentials", None)
    if credentials is not None and not credentials.valid:
        credentials.refresh(google_auth_httplib2.Request(http.http))


def authorized_http_factory(
    credentials: Credentials,
    *,
    timeout: float = GMAIL_HTTP_TIMEOUT,
    make_http: Callable[..., httplib2.Http] = httplib2.Http,
) -> HttpFactory:
    """A factory of authorized `Http` objects over `credentials`.

    A 401 triggers one token refresh and one retry (google-auth's AuthorizedHttp), no more.
    """

    def factory(*, no_replay: bool = False) -> Any:
        base = NoReplayHttp(timeout=timeout) if no_replay else make_http(timeout=timeout)
        # A resumable upload answers 308 "Resume Incomplete": not a redirect to follow.
        base.redirect_codes = base.redirect_codes - {308}
        return google_auth_httplib2.AuthorizedHttp(credentials, http=base, max_refresh_attempts=1)

    return factory

"""OAuth that stays alive: the installed-app login, the token store, and refreshes that persist.

The refresh token lives in one file, mode 0600 in a 0700 folder, written atomically (temp file,
fsync, rename). A refreshed access token is saved under a file lock, so two server processes
sharing the token never clobber each other, and each adopts a refresh the other already made.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from google.auth.transport import Request
from google.oauth2.credentials import Credentials

from gmail_mcp.common.secretfile import SecretFile
from gmail_mcp.errors import AuthError

logger = logging.getLogger("gmail_mcp")

SETUP_HINT = (
    "Create an OAuth client of type 'Desktop app' in Google Cloud (APIs & Services > Credentials), "
    "download its JSON and save it as {path} (the README has the steps)."
)


class TokenStore(SecretFile):
    """The saved Gmail OAuth login: Google's authorized-user JSON in a `SecretFile`."""

    def write(self, credentials: Credentials) -> None:
        """Save the credentials (refresh token included) atomically."""
        self.write_text(credentials.to_json())

    def load(self) -> StoredCredentials:
        """The saved login as credentials that save their own refreshes.

        Raises:
            AuthError: no login yet, or the file is unreadable, corrupt or incomplete.
        """
        data = self.read()
        try:
            return StoredCredentials.from_store(self, data)
        except ValueError as exc:  # google-auth's word for missing client fields or a bad expiry
            raise self._unreadable(exc) from exc


class StoredCredentials(Credentials):
    """Credentials whose refreshes are serialised and saved to the token store."""

    _store: TokenStore

    @classmethod
    def from_store(cls, store: TokenStore, data: dict[str, Any]) -> StoredCredentials:
        base = Credentials.from_authorized_user_info(data)
        credentials = cls(
            token=base.token,
            refresh_token=base.refresh_token,
            token_uri=_trusted_token_uri(data.get("token_uri"), default=base.token_uri),
            client_id=base.client_id,
            client_secret=base.client_secret,
            scopes=base.scopes,
            expiry=base.expiry,
        )
        credentials._store = store
        return credentials

    def refresh(self, request: Request) -> None:
        with self._store.locked():
            # Another process (or thread) may have refreshed meanwhile: adopt its token if still good.
            try:
                saved = Credentials.from_authorized_user_info(self._store.read())
            except (AuthError, ValueError):
                saved = None  # nothing usable saved: refresh, and the save below repairs the file
            if saved and saved.token and saved.token != self.token and saved.valid:
                self.token, self.expiry = saved.token, saved.expiry
                return
            super().refresh(request)
            self._store.write(self)


def client_config(path: Path) -> dict[str, Any]:
    """The OAuth client (credentials.json) in Google's 'installed' format.

    Raises:
        AuthError: missing, unreadable or not a Desktop/installed client.
    """
    try:
        config = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise AuthError(
            f"No OAuth client file at {path}. " + SETUP_HINT.format(path=path), credentials_path=str(path)
        ) from None
    except (OSError, ValueError) as exc:
        raise AuthError(
            f"{path} is not a readable OAuth client file ({exc}).", credentials_path=str(path)
        ) from exc
    if "installed" not in config:
        kind = next(iter(config), "unknown")
        raise AuthError(
            f"{path} is a '{kind}' OAuth client; gmail-mcp needs a 'Desktop app' client ('installed'). "
            + SETUP_HINT.format(path=path),
            credentials_path=str(path),
        )
    return dict(config)


def login(
    credentials_path: Path,
    store: TokenStore,
    scopes: Sequence[str],
    *,
    open_browser: bool = True,
    browser: str | None = None,
    timeout_seconds: float = 300,
    out: TextIO | None = None,
    login_hint: str | None = None,
) -> Credentials:
    """Google's installed-app flow: loopback redirect on 127.0.0.1 (free port), PKCE, offline access.

    `login_hint` (an address) tells Google which of the person's accounts to sign in with.

    Google lets a person untick some of the scopes asked for; what is saved (and returned) is
    what was granted, which the caller compares with what it asked for.
    Messages go to `out` (stderr by default), never to stdout, which may carry a protocol.

    Raises:
        AuthError: the client file is wrong, the sign-in timed out or was refused, or the token
            endpoint could not be reached or answered without a token.
    """
    import requests
    from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import MissingTokenError, OAuth2Error

    out = out or sys.stderr
    config = client_config(credentials_path)
    flow = InstalledAppFlow.from_client_config(config, scopes=list(scopes), autogenerate_code_verifier=True)
    token_uri = config["installed"].get("token_uri", "")
    prompt = (
        "Sign in to Google in the browser to let gmail-mcp use your Gmail.\n"
        "If no browser opens, open this URL on this computer:\n\n{url}\n"
    )
    try:
        with _oauthlib_relaxed(token_uri), contextlib.redirect_stdout(out):
            credentials = flow.run_local_server(
                host="127.0.0.1",
                port=0,
                open_browser=open_browser,
                browser=browser,
                timeout_seconds=timeout_seconds,
                authorization_prompt_message=prompt,
                success_message="gmail-mcp is signed in. You can close this window.",
                access_type="offline",
                prompt="consent",
                **({"login_hint": login_hint} if login_hint else {}),
            )
    except WSGITimeoutError:
        raise AuthError(
            f"No sign-in arrived within {timeout_seconds:g} second{'' if timeout_seconds == 1 else 's'}; "
            "run `gmail-mcp auth` again."
        ) from None
    except requests.RequestException as exc:  # the code exchange goes through `requests`
        raise AuthError(
            f"gmail-mcp could not reach the token endpoint {token_uri} ({exc}). Check the network "
            "(and any proxy), then run `gmail-mcp auth` again."
        ) from exc
    except MissingTokenError as exc:
        raise AuthError(
            f"The token endpoint {token_uri} answered without a token (a proxy or a captive portal may "
            "have answered for it). Check the network, then run `gmail-mcp auth` again."
        ) from exc
    except OAuth2Error as exc:
        reason = (exc.description or exc.error or "no reason given").rstrip(".")
        raise AuthError(f"Google refused the sign-in: {reason}.") from exc
    if not credentials.refresh_token:
        raise AuthError(
            "Google returned no refresh token, so the login could not last. Remove gmail-mcp's access at "
            "https://myaccount.google.com/permissions and run `gmail-mcp auth` again."
        )
    granted = credentials.granted_scopes or list(scopes)  # no scope in the answer: all were granted
    saved = Credentials(
        token=credentials.token,
        refresh_token=credentials.refresh_token,
        token_uri=credentials.token_uri,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        scopes=list(granted),
        expiry=credentials.expiry,
    )
    store.write(saved)
    return saved


def _is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _trusted_token_uri(saved: Any, *, default: str) -> str:
    """The saved token endpoint when it is on this machine (the sandbox); Google's otherwise.

    google-auth ignores a saved token_uri so that a planted token file cannot send the refresh
    token elsewhere; an endpoint on this machine is exempt, or refreshes could never reach it.
    """
    return saved if isinstance(saved, str) and _is_loopback_http(saved) else default


@contextlib.contextmanager
def _oauthlib_relaxed(token_uri: str) -> Iterator[None]:
    """oauthlib's environment switches for the sign-in only.

    It raises a bare `Warning` when the scopes granted differ from those asked for, which Google's
    granular consent makes ordinary: relaxed, and the grant is compared by the caller instead.
    It insists on HTTPS; a token endpoint on this machine (the sandbox) is exempt.
    """
    wanted = {"OAUTHLIB_RELAX_TOKEN_SCOPE": "1"}
    if _is_loopback_http(token_uri):
        wanted["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    previous = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def describe(store: TokenStore) -> dict[str, Any]:
    """What `gmail-mcp status` shows of the token file (never the token itself).

    `mode` is the file's mode now and `mode_found` the mode it had: reading a token file open to
    other users makes it private.

    Raises:
        AuthError: no login yet, or the token file is unreadable or corrupt.
    """
    try:
        found: int | None = stat.S_IMODE(store.path.stat().st_mode)
    except FileNotFoundError:
        found = None  # read() says how to log in
    data = store.read()
    now = stat.S_IMODE(store.path.stat().st_mode)
    expiry = data.get("expiry")
    try:
        expires = datetime.fromisoformat(str(expiry).replace("Z", "+00:00")).replace(tzinfo=UTC)
    except ValueError:
        expires = None  # not saved (or not readable): google-auth then treats the token as expired
    return {
        "token_path": str(store.path),
        "mode": f"{now:04o}",
        "mode_found": f"{now if found is None else found:04o}",
        "scopes": data.get("scopes") or [],
        "access_token_expiry": expiry,
        "expired": expires is None or expires <= datetime.now(UTC),
    }

"""Where an IMAP login is kept: the app password in the OS keyring, else in a 0600 file.

`imap-<account>.json` in the config folder records the login (address, servers, how the password
is kept: never the password). The password itself goes to the OS keyring (macOS Keychain, Windows
Credential Locker, the Secret Service on a Linux desktop) through the `keyring` package, or, where
there is no usable keyring (a headless Linux server, or only keyring's plain-text backends), into
`imap-<account>.secret.json`, private like the OAuth token (`common/secretfile.py`).
`GMAIL_MCP_IMAP_USER` and `GMAIL_MCP_IMAP_PASSWORD` take precedence, for non-interactive use.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from gmail_mcp.common.secretfile import SecretFile
from gmail_mcp.config import DEFAULT_ACCOUNT, IMAP_HOST, IMAP_PORT, SMTP_HOST, SMTP_PORT, Paths
from gmail_mcp.errors import AuthError, InvalidParamsError
from gmail_mcp.imap.pool import Secret

logger = logging.getLogger("gmail_mcp")
KEYRING_SERVICE = "gmail-mcp"
_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Backends that store secrets in plain or merely obfuscated files: no better than our own 0600 file.
_WEAK_KEYRINGS = (
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyrings.alt",
    "keyring.backends.chainer",
)

Method = Literal["password", "xoauth2"]
Storage = Literal["keyring", "file", "environment", "oauth-token"]


def check_account(name: str) -> str:
    """An account name, safe as part of a file name.

    Raises:
        InvalidParamsError: anything but letters, digits, '.', '_' and '-' (at most 64).
    """
    if not _ACCOUNT.fullmatch(name):
        raise InvalidParamsError(
            f"{name!r} is not a usable account name: use letters, digits, '.', '_' or '-'.", account=name
        )
    return name


@dataclass(frozen=True)
class StoredLogin:
    """What `gmail-mcp auth --imap` records beside the secret: everything but the secret."""

    user: str
    imap_host: str = IMAP_HOST
    imap_port: int = IMAP_PORT
    smtp_host: str = SMTP_HOST
    smtp_port: int = SMTP_PORT
    method: Method = "password"
    storage: Storage = "file"
    ca_file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class PasswordFile(SecretFile):
    """The app password in a private JSON file (used when there is no OS keyring)."""

    login_command = "gmail-mcp auth --imap"
    required_key = "password"


class LoginStore:
    """The stored IMAP login of one account name."""

    def __init__(self, paths: Paths, account: str = DEFAULT_ACCOUNT, *, keyring_backend: Any = None) -> None:
        self.account = check_account(account)
        self.record = paths.imap_login(account)
        self.secret_file = PasswordFile(paths.imap_secret(account))
        self._keyring = keyring_backend  # a keyring backend to use instead of the OS default (tests)

    def exists(self) -> bool:
        return self.record.exists()

    def keyring(self) -> Any | None:
        """The OS keyring when a real one is available here, else None."""
        if self._keyring is not None:
            return self._keyring
        try:
            import keyring
        except ImportError:
            return None
        try:
            backend = keyring.get_keyring()
        except Exception as exc:  # a broken keyring configuration: fall back to the file
            logger.info("no usable keyring: %s", exc)
            return None
        module = type(backend).__module__
        if getattr(backend, "priority", 0) <= 0 or module.startswith(_WEAK_KEYRINGS):
            return None
        return backend

    def _key(self, user: str) -> str:
        return f"imap:{self.account}:{user}"

    def save(self, login: StoredLogin, password: Secret | None) -> StoredLogin:
        """Record the login, and the password in the keyring or, without one, in the 0600 file."""
        storage: Storage = "oauth-token" if login.method == "xoauth2" else "file"
        if password is not None:
            backend = self.keyring()
            if backend is not None:
                try:
                    backend.set_password(KEYRING_SERVICE, self._key(login.user), password.reveal())
                    storage = "keyring"
                except Exception as exc:  # locked or refusing: the file still works
                    logger.warning("the keyring refused the password (%s); keeping it in a private file", exc)
            if storage == "file":
                self.secret_file.write_text(json.dumps({"password": password.reveal()}))
            elif self.secret_file.exists():
                self.secret_file.path.unlink()  # an older copy in a file: the keyring holds it now
        saved = StoredLogin(**{**asdict(login), "storage": storage})
        # The record is not secret, but private too: it names the account.
        SecretFile(self.record).write_text(json.dumps(asdict(saved), indent=2))
        return saved

    def load(self) -> StoredLogin:
        """The recorded login.

        Raises:
            AuthError: no login recorded for this account, or the record is unreadable.
        """
        try:
            data = json.loads(self.record.read_text("utf-8"))
            return StoredLogin(**data)
        except FileNotFoundError:
            raise AuthError(
                f"No IMAP login is saved for account {self.account!r}: run `gmail-mcp auth --imap`"
                + (f" --account {self.account}" if self.account != DEFAULT_ACCOUNT else "")
                + " (or set GMAIL_MCP_IMAP_USER and GMAIL_MCP_IMAP_PASSWORD).",
                login_path=str(self.record),
            ) from None
        except (OSError, ValueError, TypeError) as exc:
            raise AuthError(
                f"The saved IMAP login at {self.record} is unreadable ({exc}); run `gmail-mcp auth --imap` again.",
                login_path=str(self.record),
            ) from exc

    def password(self, login: StoredLogin) -> Secret:
        """The stored app password.

        Raises:
            AuthError: it is missing from where the record says it is.
        """
        if login.storage == "keyring":
            backend = self.keyring()
            value = backend.get_password(KEYRING_SERVICE, self._key(login.user)) if backend else None
            if not value:
                raise AuthError(
                    f"The app password for {login.user} is not in the keyring any more; run `gmail-mcp auth --imap`.",
                    user=login.user,
                )
            return Secret(value)
        return Secret(str(self.secret_file.read()["password"]))


def from_environment(env: Mapping[str, str]) -> tuple[str, Secret] | None:
    """GMAIL_MCP_IMAP_USER and GMAIL_MCP_IMAP_PASSWORD, when both are set."""
    user = env.get("GMAIL_MCP_IMAP_USER", "").strip()
    password = env.get("GMAIL_MCP_IMAP_PASSWORD", "")
    if user and password:
        return user, Secret(password)
    return None


def describe(store: LoginStore) -> dict[str, Any]:
    """What `gmail-mcp status` shows of an IMAP login (never the password)."""
    login = store.load()
    shown: dict[str, Any] = {
        "user": login.user,
        "imap": f"{login.imap_host}:{login.imap_port}",
        "smtp": f"{login.smtp_host}:{login.smtp_port}",
        "method": login.method,
        "storage": login.storage,
        "record": str(store.record),
    }
    if login.storage == "file":
        path: Path = store.secret_file.path
        shown["secret_file"] = str(path)
        shown["secret_mode"] = f"{path.stat().st_mode & 0o777:04o}" if path.exists() else "missing"
    return shown

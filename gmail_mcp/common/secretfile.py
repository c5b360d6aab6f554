"""A private file for a saved login, shared by every backend (OAuth token, IMAP app password).

Mode 0600 in a 0700 folder, written atomically (temp file, fsync, rename), checked on every read
(a file open to other users is made private and reported), and locked across threads and processes
for read-modify-write (a refresh that two server processes might make at once).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gmail_mcp.errors import AuthError

logger = logging.getLogger("gmail_mcp")


class SecretFile:
    """A saved login: one private JSON file (0600 in a 0700 folder), written atomically, locked to change."""

    #: What a person runs to create the file; named in every error about it.
    login_command = "gmail-mcp auth"
    #: A key the JSON must hold to count as a login.
    required_key = "refresh_token"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._threads = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict[str, Any]:
        """The stored JSON, after checking the file's permissions.

        Raises:
            AuthError: no login yet, or the file is unreadable or corrupt (it is left as it is).
        """
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise AuthError(
                f"Not logged in to Gmail yet: run `{self.login_command}` (the login is saved at {self.path}).",
                token_path=str(self.path),
            ) from None
        if info.st_mode & 0o077:
            # Readable by others: tighten it now, and say so (the token may have been exposed).
            try:
                os.chmod(self.path, 0o600)
            except OSError as exc:
                raise AuthError(
                    f"The saved Gmail login at {self.path} is readable by other users and could not be "
                    f"made private ({exc}): make it yours and `chmod 600` it.",
                    token_path=str(self.path),
                ) from exc
            logger.warning(
                "%s was readable by other users (mode %04o); it is now 0600. Consider `%s` to replace it.",
                self.path,
                stat.S_IMODE(info.st_mode),
                self.login_command,
            )
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if not isinstance(data, dict) or not data.get(self.required_key):
                raise ValueError(f"no {self.required_key} in it")
        except (OSError, ValueError) as exc:
            raise self._unreadable(exc) from exc
        return data

    def _unreadable(self, reason: Exception) -> AuthError:
        return AuthError(
            f"The saved Gmail login at {self.path} is unreadable ({reason}). It was left untouched: move "
            f"it aside and run `{self.login_command}` to log in again.",
            token_path=str(self.path),
        )

    def write_text(self, text: str) -> None:
        """Save atomically: a private temp file, fsync, then rename over the old one."""
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".token-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                if hasattr(os, "fchmod"):  # POSIX; on Windows the per-user folder is the protection
                    os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across threads and processes."""
        with self._threads:
            self._lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _lock_file(fd)
                yield
            finally:
                _unlock_file(fd)
                os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _lock_file(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _unlock_file(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

"""The bearer token HTTP clients must send: configured, or generated once and kept private.

`GMAIL_MCP_HTTP_TOKEN` wins when set (at least 32 printable characters: a short secret can be
guessed by any local account trying). Otherwise a random token is generated into `http-token`
in the config folder (0600 in a 0700 folder, created atomically so two servers starting at once
agree on one) and reused on every start, so a client is configured once. What is printed names
the file, never the token: stderr ends up in logs. `--http-no-auth` serves without a token, on
loopback only, and says so loudly.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gmail_mcp.config import HTTP_TOKEN_MIN_LENGTH
from gmail_mcp.errors import InvalidParamsError
from gmail_mcp.surface.http import LOOPBACK

ENV = "GMAIL_MCP_HTTP_TOKEN"
_PRINTABLE = re.compile(r"[\x21-\x7e]+")  # what an Authorization header carries without quoting


@dataclass(frozen=True)
class HttpAuth:
    """The token every request must carry (None: --http-no-auth) and where it came from."""

    token: str | None
    file: Path | None = None  # the generated token's file; None when configured or absent

    def announce(self, out: TextIO = sys.stderr) -> None:
        """Tell the person how clients authenticate, without ever writing the token itself."""
        if self.token is None:
            print(
                "gmail-mcp: WARNING: --http-no-auth: any program or account on this machine that can "
                "reach the port can read and send your mail. Use it only for tests.",
                file=out,
            )
        elif self.file is not None:
            print(
                f"gmail-mcp: clients must send the header `Authorization: Bearer <token>`, where <token> "
                f"is the contents of {self.file}",
                file=out,
            )
        else:
            print(
                f"gmail-mcp: clients must send the header `Authorization: Bearer <token>` with the token "
                f"in {ENV}",
                file=out,
            )


def resolve(*, host: str, no_auth: bool, configured: str | None, token_file: Path) -> HttpAuth:
    """The token for serving on `host`.

    Raises:
        InvalidParamsError: --http-no-auth beyond loopback or together with a configured token; a
            configured token too short or not printable; a token file that cannot be used.
    """
    configured = configured or None  # an empty variable is an unset one
    if no_auth:
        if host not in LOOPBACK:
            raise InvalidParamsError(
                f"--http-no-auth is refused on {host}: it is for 127.0.0.1 only. Serve with a token "
                f"(set {ENV}, or let one be generated) to listen beyond this machine."
            )
        if configured:
            raise InvalidParamsError(f"--http-no-auth and {ENV} contradict each other: drop one.")
        return HttpAuth(None)
    if configured is not None:
        _check(configured, ENV)
        return HttpAuth(configured)
    return HttpAuth(load_or_create(token_file), token_file)


def _check(token: str, where: str) -> None:
    if len(token) < HTTP_TOKEN_MIN_LENGTH or not _PRINTABLE.fullmatch(token):
        raise InvalidParamsError(
            f"The HTTP token in {where} must be at least {HTTP_TOKEN_MIN_LENGTH} printable characters "
            "without spaces; make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )


def load_or_create(path: Path) -> str:
    """The token stored at `path`, generated first if there is none.

    Raises:
        InvalidParamsError: the file is a link, not a regular file, or holds no usable token.
    """
    if not path.exists() and not path.is_symlink():
        _create(path, secrets.token_urlsafe(32))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InvalidParamsError(
            f"The HTTP token file {path} cannot be read ({exc.strerror}): remove it and start again "
            "(a new token is generated)."
        ) from None
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidParamsError(f"The HTTP token file {path} is not a regular file: remove it.")
        if hasattr(os, "fchmod") and stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # readable by others: private from now on
            print(f"gmail-mcp: {path} was readable by other users; it is now 0600.", file=sys.stderr)
        token = handle.read(4096).strip()
    _check(token, str(path))
    return token


def _create(path: Path, token: str) -> None:
    """Write `token` to `path` atomically, unless another process got there first."""
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".http-token-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o600)
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # A link, not a rename: it fails if the file appeared meanwhile, and that one is then used.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)

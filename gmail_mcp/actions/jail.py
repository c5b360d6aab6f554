"""File jails: which local files may leave as attachments, and where downloads may land.

Real email MCP servers have shipped attachment path traversal and sent arbitrary local files
(`~/.ssh/id_rsa`) on a prompt-injected request. Here every path is resolved (links included)
and must fall inside an allowed folder; dotfiles, this server's own secrets, devices and FIFOs are
refused; downloads never overwrite and never follow a link.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.lazy import lazy_module

if TYPE_CHECKING:
    from gmail_mcp.content import mime
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail
from gmail_mcp.errors import InvalidParamsError, PermissionDeniedError

_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
MAX_NAME = 200


def real(path: Path) -> Path:
    """`path` with links resolved as far as it exists (allowed folders may not exist yet)."""
    return Path(os.path.realpath(path.expanduser()))


def _inside(path: Path, roots: Iterable[Path]) -> Path | None:
    return next((root for root in roots if path == root or path.is_relative_to(root)), None)


def read_attachment(given: str, allowed: Sequence[Path], protected: set[Path]) -> bytes:
    """The bytes of a file the agent asked to attach, if the jail allows it.

    Raises:
        PermissionDeniedError: outside the allowed folders, hidden, a secret of this server,
            or not a regular file.
        InvalidParamsError: no such file, or larger than Gmail's attachment limit.
    """
    roots = [real(d) for d in allowed]
    where = ", ".join(str(d) for d in roots)
    path = Path(given).expanduser()
    if not path.is_absolute():
        path = roots[0] / path
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise InvalidParamsError(f"No file at {given}.", path=given) from None
    root = _inside(resolved, roots)
    if root is None:
        raise PermissionDeniedError(
            f"{given} is outside the folders attachments may come from: {where}. Copy the file there "
            "first, or allow its folder with --attach-dir.",
            path=given,
            allowed=[str(d) for d in roots],
        )
    # Hidden below the allowed folder, or named like a dotfile (a link called .env counts too).
    hidden = any(part.startswith(".") for part in (*resolved.relative_to(root).parts, path.name))
    if hidden or resolved in {real(p) for p in protected}:
        raise PermissionDeniedError(
            f"{given} is a hidden file or one of this server's own secrets; it cannot be attached.",
            path=given,
        )
    # Open without following a link swapped in since the check, then check what was opened.
    try:
        fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise PermissionDeniedError(f"{given} cannot be read ({exc.strerror}).", path=given) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PermissionDeniedError(
                f"{given} is not a regular file; only files can be attached.", path=given
            )
        if info.st_size > mime.MAX_ATTACHMENTS_BYTES:
            raise InvalidParamsError(
                f"{given} is {info.st_size:,} bytes; Gmail allows {mime.MAX_ATTACHMENTS_BYTES:,} bytes of "
                "attachments. Nothing was sent.",
                path=given,
                size=info.st_size,
            )
        return handle.read()


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A file name with no path, no control or reserved characters, not hidden, not too long."""
    name = unicodedata.normalize("NFC", mime.clean_text(name.replace("\\", "/").rsplit("/", 1)[-1]))
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        keep = suffix if dot and len(suffix) <= 16 else ""
        name = (stem if keep else name)[: MAX_NAME - len(keep) - 1].rstrip() + (f".{keep}" if keep else "")
    return name or fallback


def download_target(save_path: str, filename: str, allowed: Sequence[Path]) -> Path:
    """Where a download may be written: inside an allowed folder, a name not yet taken.

    A `save_path` that is a folder (or ends with a slash) receives the attachment's own name.

    Raises:
        PermissionDeniedError: outside the allowed folders, or a link.
    """
    roots = [real(d) for d in allowed]
    path = Path(save_path).expanduser()
    if not path.is_absolute():
        path = roots[0] / path
    if path.is_symlink():
        raise PermissionDeniedError(
            f"{save_path} is a link; downloads never follow links.", save_path=save_path
        )
    if save_path.endswith(("/", os.sep)) or path.is_dir():
        directory, name = path, safe_filename(filename)
    else:
        directory, name = path.parent, safe_filename(path.name, fallback=safe_filename(filename))
    resolved = real(directory)
    if _inside(resolved, roots) is None:
        raise PermissionDeniedError(
            f"{save_path} is outside the download folders: {', '.join(str(r) for r in roots)}. Save "
            "under one of them (a relative path is taken from the first).",
            save_path=save_path,
            allowed=[str(r) for r in roots],
        )
    resolved.mkdir(mode=0o700, parents=True, exist_ok=True)
    return resolved / name


def write_new(target: Path, data: bytes) -> Path:
    """Write `data` to `target` or, if taken, to "name (n).ext"; never overwrite, never follow a link."""
    stem, suffix = target.stem, target.suffix
    for n in range(1000):
        candidate = target if n == 0 else target.with_name(f"{stem} ({n}){suffix}")
        try:
            fd = os.open(
                candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return candidate
    raise PermissionDeniedError(f"Too many files named like {target.name}; choose another save_path.")

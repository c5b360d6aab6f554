"""File jails: which local files may leave as attachments, and where downloads may land.

Real email MCP servers have shipped attachment path traversal and sent arbitrary local files
(`~/.ssh/id_rsa`) on a prompt-injected request. Here a path is never checked and then opened by
name (a folder swapped for a link in between would redirect the open): it is opened from the
allowed folder one component at a time, each folder by descriptor relative to the one before
(`O_DIRECTORY | O_NOFOLLOW`), the file last (`O_NOFOLLOW`). What is opened is therefore inside
the folder whatever changes on disk meanwhile. Below an allowed folder, links are never followed
and hidden names (`.ssh`, `.env`) are refused; this server's own secrets are refused by identity
(device and inode), so a hard link to the token is refused too; devices and FIFOs are refused
after opening without blocking. Every descriptor is closed on every path. Downloads find their
folder the same way (`downloads.py` writes the new file).

Windows has no `dir_fd`: there the path is resolved, checked, every component below the folder
is refused if it is a link or another reparse point, and the opened file must be the one checked
(same identity). That is a best effort: a swap between the check and the open is caught only
for the last component.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.errors import InvalidParamsError, PermissionDeniedError

if TYPE_CHECKING:
    from gmail_mcp.content import mime
else:
    mime = lazy_module("gmail_mcp.content.mime")  # loaded by the first tool that reads or writes mail

_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
# Device names Windows opens instead of a file, with any extension (NUL.txt is NUL), any case.
_WINDOWS_RESERVED = re.compile(r"(?i)(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])\s*(\..*)?")
MAX_NAME = 200

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# O_NONBLOCK: opening a FIFO must not hang the server; O_NOCTTY: a terminal must not become ours.
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
# Descriptor-relative opens need dir_fd and O_NOFOLLOW/O_DIRECTORY (POSIX); Windows has none of them.
BY_DESCRIPTOR = os.open in os.supports_dir_fd and bool(_NOFOLLOW and _DIRECTORY)
_REPARSE_POINT = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)
_LINK_ERRNOS = {errno.ELOOP, errno.ENOTDIR, errno.EMLINK}  # what O_NOFOLLOW gives on a link (Linux, BSD)


@dataclass(frozen=True)
class Place:
    """A path inside an allowed folder: the folder, the folders below it, and the last name."""

    root: Path
    folders: tuple[str, ...]
    name: str

    @property
    def path(self) -> Path:
        return self.root.joinpath(*self.folders, self.name)


# -- where a path is --------------------------------------------------------------------------


def real(path: Path) -> Path:
    """`path` with links resolved as far as it exists (allowed folders may not exist yet)."""
    return Path(os.path.realpath(path.expanduser()))


def checked_text(given: str, field: str) -> str:
    """`given` if the operating system can take it as a path.

    Raises:
        InvalidParamsError: empty, a NUL character, or not encodable as a file name.
    """
    if not given or "\x00" in given:
        raise InvalidParamsError(
            f"{field} must be a non-empty path without NUL characters.",
            **{field: given.replace("\x00", "\\0")},
        )
    try:
        os.fsencode(given)
    except UnicodeError:
        raise InvalidParamsError(f"{field} is not a valid file name.", **{field: ascii(given)}) from None
    return given


def locate(
    given: str, roots: Sequence[Path], *, field: str, outside: str, folder: bool = False
) -> tuple[Path, tuple[str, ...]]:
    """Which allowed folder `given` is in, and the names below it (none of them hidden).

    A relative path is taken from the first folder. `..` is resolved on the names as written;
    a spelling of the path through links outside the folders (`/tmp` for `/private/tmp`) is
    resolved to find the folder, but nothing below the folder is ever followed. Only with
    `folder` may `given` be an allowed folder itself (no names below it).

    Raises:
        InvalidParamsError: an unusable path (NUL, empty).
        PermissionDeniedError: outside every folder (`outside` says what to do), or hidden.
    """
    checked_text(given, field)
    reals = [real(r) for r in roots]
    path = Path(os.path.expanduser(given))
    if not path.is_absolute():
        path = reals[0] / path
    written = Path(os.path.normpath(path))
    # Each folder as configured and as resolved: the names as written are used whenever they fit.
    spellings = [*(Path(os.path.normpath(r.expanduser().absolute())) for r in roots), *reals]
    found = _below(written, spellings, [*reals, *reals])
    if found is None:
        found = _below(real(path), reals, reals)
    if found is None or not (found[1] or folder):
        where = ", ".join(str(r) for r in reals)
        raise PermissionDeniedError(
            f"{given} is outside the allowed folders: {where}. {outside}",
            **{field: given, "allowed": [str(r) for r in reals]},
        )
    root, parts = found
    if parts and any(part.startswith(".") for part in (*parts, path.name)):
        raise PermissionDeniedError(
            f"{given} is hidden (a name starting with '.'); hidden files and folders are never used.",
            **{field: given},
        )
    return root, parts


def _below(
    path: Path, spellings: Sequence[Path], reals: Sequence[Path]
) -> tuple[Path, tuple[str, ...]] | None:
    for spelling, root in zip(spellings, reals, strict=True):
        if path == spelling or path.is_relative_to(spelling):
            return root, path.relative_to(spelling).parts
    return None


# -- opening, one component at a time ----------------------------------------------------------


def open_folder(root: Path, folders: Sequence[str], *, create: bool = False) -> int:
    """A descriptor of `root/folders...`, walked without following any link below `root`.

    With `create`, missing folders are made (mode 0700). The caller closes the descriptor.

    Raises:
        PermissionDeniedError: a component is a link or not a folder, or cannot be opened.
        InvalidParamsError: a component does not exist (without `create`).
    """
    if create:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
    with translated(root):
        fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for depth, name in enumerate(folders):
            parent, fd = fd, -1
            try:
                shown = root.joinpath(*folders[: depth + 1])
                with translated(shown, parent, name):
                    if create:
                        with contextlib.suppress(FileExistsError):
                            os.mkdir(name, 0o700, dir_fd=parent)
                    fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
            finally:
                os.close(parent)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def translated(shown: Path, parent: int = -1, name: str = "") -> Iterator[None]:
    """OSError turned into the jail's errors (a link `name` in folder `parent` is named as one)."""
    try:
        yield
    except FileExistsError:
        raise
    except FileNotFoundError:
        raise InvalidParamsError(f"No file or folder at {shown}.", path=str(shown)) from None
    except OSError as exc:
        if exc.errno in _LINK_ERRNOS and parent >= 0 and is_link(name, parent):
            raise link_refused(shown) from None
        if exc.errno == errno.ENOTDIR:
            raise PermissionDeniedError(f"{shown} is not a folder.", path=str(shown)) from None
        if exc.errno == errno.ENAMETOOLONG:
            raise InvalidParamsError(f"{shown} is too long a path.", path=str(shown)) from None
        raise PermissionDeniedError(f"{shown} cannot be opened ({exc.strerror}).", path=str(shown)) from None


def link_refused(shown: Path) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"{shown} is a link; links inside the allowed folders are never followed. Give the real path.",
        path=str(shown),
    )


def is_link(name: str, parent: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        return False


def open_folder_at(parent: int, name: str, shown: Path) -> int:
    """A descriptor of the folder `name` in `parent`, never through a link.

    Raises:
        PermissionDeniedError, InvalidParamsError: as `open_folder`.
    """
    with translated(shown, parent, name):
        return os.open(name, _DIR_FLAGS, dir_fd=parent)


def is_folder(name: str, parent: int) -> bool:
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        return False


def is_real_folder(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and not getattr(info, "st_file_attributes", 0) & _REPARSE_POINT


def identities(paths: Iterable[Path]) -> set[tuple[int, int]]:
    """(device, inode) of each existing file: the same file under any name or hard link."""
    found = set()
    for path in paths:
        with contextlib.suppress(OSError, ValueError):
            info = os.stat(path)
            found.add((info.st_dev, info.st_ino))
    return found


# -- attachments out ---------------------------------------------------------------------------


def read_attachment(
    given: str, allowed: Sequence[Path], protected: Iterable[Path], *, by_descriptor: bool = BY_DESCRIPTOR
) -> bytes:
    """The bytes of a file the agent asked to attach, if the jail allows it (`by_descriptor`:
    False is Windows' best effort).

    Raises:
        PermissionDeniedError: outside the allowed folders, hidden, through a link, a secret of
            this server (under any name), or not a regular file.
        InvalidParamsError: no such file, an unusable path, or larger than Gmail's attachment limit.
    """
    root, parts = locate(
        given,
        allowed,
        field="path",
        outside="Copy the file there first, or allow its folder with --attach-dir.",
    )
    place = Place(root, parts[:-1], parts[-1])
    fd = open_file(place) if by_descriptor else open_by_path(place, _READ_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PermissionDeniedError(
                f"{given} is not a regular file; only files can be attached.", path=given
            )
        if (info.st_dev, info.st_ino) in identities(protected):
            raise PermissionDeniedError(
                f"{given} is one of this server's own secrets (or a link to one); it cannot be attached.",
                path=given,
            )
        limit = mime.MAX_ATTACHMENTS_BYTES
        data = _read_at_most(fd, limit + 1)  # the file may grow after fstat: never read past the limit
        if len(data) > limit:
            raise InvalidParamsError(
                f"{given} is larger than the {limit:,} bytes of attachments Gmail allows. Nothing was sent.",
                path=given,
                size=max(info.st_size, len(data)),
            )
        return data
    finally:
        os.close(fd)


def open_file(place: Place) -> int:
    """A read descriptor of the file at `place`, opened without following any link below its folder.

    Raises:
        PermissionDeniedError, InvalidParamsError: see `open_folder`.
    """
    parent = open_folder(place.root, place.folders)
    try:
        with translated(place.path, parent, place.name):
            return os.open(place.name, _READ_FLAGS, dir_fd=parent)
    finally:
        os.close(parent)


def open_by_path(place: Place, flags: int, mode: int = 0o600) -> int:
    """Windows' best effort (no `dir_fd`): no link or reparse point below the folder, and the file
    opened is the one checked. Also run on POSIX by the tests, where it holds the same rules.

    Raises:
        PermissionDeniedError, InvalidParamsError: as `open_file`.
    """
    path = place.root
    for name in (*place.folders, place.name):
        path = path / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            if flags & os.O_CREAT and name == place.name:
                break
            raise InvalidParamsError(f"No file or folder at {path}.", path=str(path)) from None
        if stat.S_ISLNK(info.st_mode) or getattr(info, "st_file_attributes", 0) & _REPARSE_POINT:
            raise link_refused(path)
    with translated(path):
        fd = os.open(path, flags, mode)
    try:
        opened = os.fstat(fd)
        try:
            named = os.lstat(path)
        except OSError:
            named = None
        if named is None or (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
            raise PermissionDeniedError(f"{path} changed while it was being opened.", path=str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


# -- downloads in ------------------------------------------------------------------------------


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A file name with no path, no control or reserved characters, not hidden, not too long, and
    nothing Windows would treat specially (device names such as CON or NUL.txt, trailing dots)."""
    name = name.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot name a file
    name = unicodedata.normalize("NFC", mime.clean_text(name.replace("\\", "/").rsplit("/", 1)[-1]))
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        keep = suffix if dot and len(suffix) <= 16 else ""
        name = (stem if keep else name)[: MAX_NAME - len(keep) - 1].rstrip() + (f".{keep}" if keep else "")
    name = name.rstrip(". ")  # Windows drops trailing dots and spaces: "a.exe." would open "a.exe"
    if _WINDOWS_RESERVED.fullmatch(name):
        name = "_" + name
    return name or fallback

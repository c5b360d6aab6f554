"""File jails: which local files may leave as attachments, and where downloads may land.

Real email MCP servers have shipped attachment path traversal and sent arbitrary local files
(`~/.ssh/id_rsa`) on a prompt-injected request. Here a path is never checked and then opened by
name (a folder swapped for a link in between would redirect the open): it is opened from the
allowed folder one component at a time, each folder by descriptor relative to the one before
(`O_DIRECTORY | O_NOFOLLOW`), the file last (`O_NOFOLLOW`). What is opened is therefore inside
the folder whatever changes on disk meanwhile. Below an allowed folder, links are never followed
and hidden names (`.ssh`, `.env`) are refused; this server's own secrets are refused by identity
(device and inode), so a hard link to the token is refused too; devices and FIFOs are refused
after opening without blocking. Downloads create new files only (`O_EXCL`, never overwriting),
within a size cap per file and per session; a failed download leaves nothing behind. Every
descriptor is closed on every path.

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
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gmail_mcp.errors import InvalidParamsError, PermissionDeniedError
from gmail_mcp.lazy import lazy_module

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
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | getattr(os, "O_BINARY", 0)
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
    with _translated(root):
        fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for depth, name in enumerate(folders):
            parent, fd = fd, -1
            try:
                shown = root.joinpath(*folders[: depth + 1])
                with _translated(shown, parent, name):
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
def _translated(shown: Path, parent: int = -1, name: str = "") -> Iterator[None]:
    """OSError turned into the jail's errors (a link `name` in folder `parent` is named as one)."""
    try:
        yield
    except FileExistsError:
        raise
    except FileNotFoundError:
        raise InvalidParamsError(f"No file or folder at {shown}.", path=str(shown)) from None
    except OSError as exc:
        if exc.errno in _LINK_ERRNOS and parent >= 0 and _is_link(name, parent):
            raise _link_refused(shown) from None
        if exc.errno == errno.ENOTDIR:
            raise PermissionDeniedError(f"{shown} is not a folder.", path=str(shown)) from None
        if exc.errno == errno.ENAMETOOLONG:
            raise InvalidParamsError(f"{shown} is too long a path.", path=str(shown)) from None
        raise PermissionDeniedError(f"{shown} cannot be opened ({exc.strerror}).", path=str(shown)) from None


def _link_refused(shown: Path) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"{shown} is a link; links inside the allowed folders are never followed. Give the real path.",
        path=str(shown),
    )


def _is_link(name: str, parent: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        return False


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
        with _translated(place.path, parent, place.name):
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
            raise _link_refused(path)
    with _translated(path):
        fd = os.open(path, flags, mode)
    try:
        opened, named = os.fstat(fd), os.lstat(path)
        if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
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


class DownloadBudget:
    """The bytes one server run may write to disk, per file and in all; shared by every call."""

    def __init__(self, per_file: int, per_session: int) -> None:
        self.per_file = per_file
        self.per_session = per_session
        self.used = 0
        self._lock = threading.Lock()

    def check_file(self, size: int, what: str) -> None:
        """Raises: PermissionDeniedError: `size` bytes is more than one download may be."""
        if size > self.per_file:
            raise PermissionDeniedError(
                f"{what} is {size:,} bytes; downloads are limited to {self.per_file:,} bytes per file. "
                "Nothing was saved.",
                size=size,
                limit_bytes=self.per_file,
            )

    def charge(self, size: int) -> None:
        """Raises: PermissionDeniedError: the session's download limit would be passed."""
        with self._lock:
            if self.used + size > self.per_session:
                raise PermissionDeniedError(
                    f"This session has saved {self.used:,} bytes; downloads are limited to "
                    f"{self.per_session:,} bytes per session. Nothing more is saved until the server restarts.",
                    used_bytes=self.used,
                    limit_bytes=self.per_session,
                )
            self.used += size

    def refund(self, size: int) -> None:
        with self._lock:
            self.used -= size


class NewFile:
    """A file just created inside the download jail, written through `write` within the budget."""

    def __init__(self, fd: int, path: Path, budget: DownloadBudget) -> None:
        self.path = path
        self.size = 0
        self._fd = fd
        self._budget = budget

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append `data`.

        Raises:
            PermissionDeniedError: past the per-file or per-session limit.
        """
        self._budget.check_file(self.size + len(data), self.path.name)
        self._budget.charge(len(data))
        self.size += len(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]


@contextlib.contextmanager
def new_download(
    save_path: str,
    filename: str,
    allowed: Sequence[Path],
    budget: DownloadBudget,
    *,
    by_descriptor: bool = BY_DESCRIPTOR,
) -> Iterator[NewFile]:
    """A new file for a download inside an allowed folder, removed again if the block fails
    (`by_descriptor`: False is Windows' best effort).

    A `save_path` that is a folder (or ends with a slash) receives `filename`; the name is made
    safe; a name already taken becomes "name (n).ext" (nothing is overwritten); missing folders
    below the allowed folder are created (0700), the file is 0600.

    Raises:
        PermissionDeniedError: outside the allowed folders, hidden, through a link, or a limit.
        InvalidParamsError: an unusable path.
    """
    folder_given = save_path.endswith(("/", os.sep))
    root, parts = locate(
        save_path,
        allowed,
        field="save_path",
        outside="Save under one of them (a relative path is taken from the first); the person running "
        "the server can allow another folder with --download-dir.",
        folder=True,
    )
    if by_descriptor:
        made = _new_file_by_descriptor(root, parts, filename, folder_given)
    else:
        made = _new_file_by_path(root, parts, filename, folder_given)
    parent, folders, fd, name = made
    out = NewFile(fd, root.joinpath(*folders, name), budget)
    try:
        yield out
    except BaseException:
        os.close(fd)
        fd = -1
        with contextlib.suppress(OSError):
            if parent >= 0:
                os.unlink(name, dir_fd=parent)
            else:
                os.unlink(out.path)
        budget.refund(out.size)
        raise
    finally:
        if fd >= 0:
            os.close(fd)
        if parent >= 0:
            os.close(parent)


def _new_file_by_descriptor(
    root: Path, parts: tuple[str, ...], filename: str, folder_given: bool
) -> tuple[int, tuple[str, ...], int, str]:
    """(folder descriptor, folders below root, file descriptor, file name) of a new download."""
    folders = parts if folder_given else parts[:-1]
    parent = open_folder(root, folders, create=True)
    try:
        if not folder_given and parts and _is_link(parts[-1], parent):
            raise _link_refused(root.joinpath(*parts))
        if not folder_given and parts and _is_folder(parts[-1], parent):
            inner = open_folder_at(parent, parts[-1], root.joinpath(*parts))
            os.close(parent)
            parent, folders = inner, parts
        if folders == parts:
            name = safe_filename(filename)
        else:
            name = safe_filename(parts[-1], fallback=safe_filename(filename))
        fd, name = _create_new(name, lambda n: os.open(n, _NEW_FILE_FLAGS, 0o600, dir_fd=parent))
    except BaseException:
        os.close(parent)
        raise
    return parent, folders, fd, name


def _new_file_by_path(
    root: Path, parts: tuple[str, ...], filename: str, folder_given: bool
) -> tuple[int, tuple[str, ...], int, str]:
    """Windows' best effort at `_new_file_by_descriptor` (see the module docstring); no folder descriptor."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if parts and not folder_given and os.path.islink(root.joinpath(*parts)):
        raise _link_refused(root.joinpath(*parts))
    folders = parts if folder_given or (parts and _is_real_folder(root.joinpath(*parts))) else parts[:-1]
    folder = root
    for name in folders:
        folder = folder / name
        with _translated(folder), contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        if not _is_real_folder(folder):
            raise PermissionDeniedError(
                f"{folder} is a link or not a folder; links inside the allowed folders are never followed.",
                path=str(folder),
            )
    name = safe_filename(filename) if folders == parts else safe_filename(parts[-1], safe_filename(filename))
    fd, name = _create_new(name, lambda n: open_by_path(Place(root, folders, n), _NEW_FILE_FLAGS))
    return -1, folders, fd, name


def _is_real_folder(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and not getattr(info, "st_file_attributes", 0) & _REPARSE_POINT


def open_folder_at(parent: int, name: str, shown: Path) -> int:
    """A descriptor of the folder `name` in `parent`, never through a link.

    Raises:
        PermissionDeniedError, InvalidParamsError: as `open_folder`.
    """
    with _translated(shown, parent, name):
        return os.open(name, _DIR_FLAGS, dir_fd=parent)


def _is_folder(name: str, parent: int) -> bool:
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _create_new(name: str, create: Callable[[str], int]) -> tuple[int, str]:
    """A new file named `name` or, if taken, "stem (n).suffix": (descriptor, name used)."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, ""
    else:
        suffix = "." + suffix
    for n in range(1000):
        candidate = name if n == 0 else f"{stem} ({n}){suffix}"
        try:
            with _translated(Path(candidate)):
                return create(candidate), candidate
        except FileExistsError:
            continue
    raise PermissionDeniedError(f"Too many files named like {name}; choose another save_path.")

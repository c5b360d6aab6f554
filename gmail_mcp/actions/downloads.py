"""The download jail: an attachment is saved only as a new file inside an allowed folder.

Where the file goes is decided as attachments are read (see `jail`): from the allowed folder one
component at a time by descriptor, never through a link, no hidden names; missing folders are
created (0700) on the way. The file is created with `O_CREAT | O_EXCL | O_NOFOLLOW` (0600), so
nothing is ever overwritten and a link planted at its name is not followed: a name already taken
becomes "name (n).ext". Its name is made safe (`jail.safe_filename`). The bytes are written as they
arrive, within a size cap per file and per server run (`DownloadBudget`); if anything fails, the
file is removed again, so nothing half-written stays behind.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from gmail_mcp.actions.jail import (
    BY_DESCRIPTOR,
    Place,
    is_folder,
    is_link,
    is_real_folder,
    link_refused,
    locate,
    open_by_path,
    open_folder,
    open_folder_at,
    safe_filename,
    translated,
)
from gmail_mcp.errors import PermissionDeniedError

_NEW_FILE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


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
        if not folder_given and parts and is_link(parts[-1], parent):
            raise link_refused(root.joinpath(*parts))
        if not folder_given and parts and is_folder(parts[-1], parent):
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
        raise link_refused(root.joinpath(*parts))
    folders = parts if folder_given or (parts and is_real_folder(root.joinpath(*parts))) else parts[:-1]
    folder = root
    for name in folders:
        folder = folder / name
        with translated(folder), contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        if not is_real_folder(folder):
            raise PermissionDeniedError(
                f"{folder} is a link or not a folder; links inside the allowed folders are never followed.",
                path=str(folder),
            )
    name = safe_filename(filename) if folders == parts else safe_filename(parts[-1], safe_filename(filename))
    fd, name = _create_new(name, lambda n: open_by_path(Place(root, folders, n), _NEW_FILE_FLAGS))
    return -1, folders, fd, name


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
            with translated(Path(candidate)):
                return create(candidate), candidate
        except FileExistsError:
            continue
    raise PermissionDeniedError(f"Too many files named like {name}; choose another save_path.")

"""Mail to load, read like an import tool reads it: one .eml, a folder of them, or an mbox.

A source that cannot be loaded at all is a `LoadError` with a one-line reason: a missing path,
something that is neither a regular file nor a folder (a FIFO or a device would block or never
end), a file that cannot be read, a file that is not mail, or a source without one message.
Inside a folder or an mbox, what cannot be loaded is skipped and reported with why.

Every message gets a date that is the same on every load, so its id is too: its Date header, else
the time its last server received it (the topmost Received header), else the date on its mbox
"From " line, else the file's modification time.
"""

from __future__ import annotations

import contextlib
import mailbox as mboxlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

from gmail_mcp.sandbox.outgoing import read_headers

# A message carries at least one of these; a text file, an image or a program carries none.
_MAIL_HEADERS = ("From", "Date", "Subject", "Message-ID", "To", "Received", "Return-Path", "Sender")


class LoadError(Exception):
    """Nothing can be loaded from the source; the message says why in one line."""


@dataclass(frozen=True)
class Found:
    """One message to load, where it came from, and its date if it carries none of its own."""

    raw: bytes
    origin: str
    fallback_ms: int
    headers: Message


@dataclass(frozen=True)
class Skipped:
    origin: str
    why: str


@dataclass
class Source:
    """What a path holds: the messages, what was skipped and why, and other files left alone."""

    found: list[Found] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: int = 0  # files in a folder that are not .eml


def read_source(path: Path) -> Source:
    """Every message at `path`.

    Raises:
        LoadError: nothing at `path` can be loaded (the reason in one line).
    """
    source = Source()
    if path.is_dir():
        _read_folder(path, source)
        if not source.found:
            raise LoadError(_empty_folder(path, source))
        return source
    try:
        _read_file(path, source)
    except FileNotFoundError:
        raise LoadError(f"{shown(path)}: no such file or folder") from None
    except _NotRegular:
        raise LoadError(f"{shown(path)}: {_NOT_REGULAR}") from None
    except OSError as exc:
        raise LoadError(f"{shown(path)}: cannot read it ({_reason(exc)})") from None
    if not source.found:
        why = source.skipped[0].why if len(source.skipped) == 1 else "no message in it"
        raise LoadError(f"{shown(path)}: {why}")
    return source


_NOT_REGULAR = "not a regular file or folder (a device, FIFO or socket is never read)"


class _NotRegular(Exception):
    pass


@contextlib.contextmanager
def _open_regular(path: Path) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """`path` opened for reading once its descriptor shows a regular file.

    Checked on the open descriptor, not the name, so nothing can swap a FIFO in between; opened
    non-blocking, so a FIFO does not hold up the open waiting for a writer.

    Raises:
        _NotRegular: a FIFO, device or socket.
        OSError: it cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular
        yield handle, info


def _read_folder(folder: Path, source: Source) -> None:
    for path in _files_below(folder):
        if path.suffix.lower() != ".eml":
            source.ignored += 1
            continue
        try:
            with _open_regular(path) as (handle, info):
                raw = handle.read()
        except _NotRegular:
            source.skipped.append(Skipped(shown(path), _NOT_REGULAR))
            continue
        except OSError as exc:
            source.skipped.append(Skipped(shown(path), f"cannot read it ({_reason(exc)})"))
            continue
        _add(source, raw, shown(path), _mtime_ms(info))


def _files_below(folder: Path) -> Iterator[Path]:
    """Every entry below `folder` that is not a folder, in a stable order; links to folders are not followed."""
    for root, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            yield Path(root, name)


def _read_file(path: Path, source: Source) -> None:
    with _open_regular(path) as (handle, info):
        if path.suffix.lower() not in (".mbox", ".mbx") and handle.read(5) != b"From ":
            handle.seek(0)
            _add(source, handle.read(), shown(path), _mtime_ms(info))
            return
    box = mboxlib.mbox(str(path), create=False)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            from_line, _, raw = box.get_bytes(key, from_=True).partition(b"\n")
            when = _from_line_ms(from_line.decode("latin-1")) or _mtime_ms(info)
            _add(source, raw, f"{shown(path)}, message {number}", when)
    finally:
        box.close()


def _add(source: Source, raw: bytes, origin: str, file_ms: int) -> None:
    if not raw.strip():
        source.skipped.append(Skipped(origin, "empty, not mail"))
        return
    headers = read_headers(raw)
    if not any(name in headers for name in _MAIL_HEADERS):
        source.skipped.append(Skipped(origin, "not mail (no From, Date, Subject or Message-ID header)"))
        return
    source.found.append(Found(raw, origin, _received_ms(headers) or file_ms, headers))


def _received_ms(headers: Message) -> int | None:
    """When the last server received the message: the date after the ';' of the topmost Received."""
    received = headers.get_all("Received") or []
    if not received:
        return None
    _, separator, when = str(received[0]).rpartition(";")
    return _date_ms(when) if separator else None


def _from_line_ms(from_line: str) -> int | None:
    """The date of an mbox "From sender date" line."""
    _, _, rest = from_line.strip().partition(" ")  # "From"
    _, _, when = rest.strip().partition(" ")  # the sender
    return _date_ms(when)


def _date_ms(text: str) -> int | None:
    try:
        when = parsedate_to_datetime(" ".join(text.split()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return int(when.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        return None


def _mtime_ms(info: os.stat_result) -> int:
    return info.st_mtime_ns // 1_000_000


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def shown(text: object) -> str:
    """`text` safe to print on one line: a file name or label may hold control characters that
    would forge report lines or drive the terminal."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(text))


def _empty_folder(folder: Path, source: Source) -> str:
    if source.skipped:
        first = source.skipped[0]
        more = f" (and {len(source.skipped) - 1} more)" if len(source.skipped) > 1 else ""
        return f"{shown(folder)}: no mail loaded: {first.origin}: {first.why}{more}"
    others = (
        f" ({source.ignored} other files; only .eml files are read from a folder)" if source.ignored else ""
    )
    return f"{shown(folder)}: no .eml file in it{others}"

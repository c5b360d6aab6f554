"""Reading PDF and Office attachments in a process of their own, with a deadline and a memory cap.

A hostile PDF or zip can make a parser loop, allocate without end or crash (native code): run in
the server, it would freeze a tool thread for good (a Python thread cannot be stopped) or take the
server down. Here each such extraction runs in a fresh Python process (`python -m` this module)
that is killed at the deadline; it caps its own address space, CPU time and file writes before
reading anything (POSIX), and writes nothing on the server's stdout, which carries the protocol.
It gets none of the server's environment but what Python needs to start, and coverage's own
variables when coverage measures the server (CI): then, and only then, the worker may write files,
as coverage writes its data at exit. Text, HTML and images are read in the server: the same code reads every body already.

Wire: the parent writes one JSON line (how to read, the limits) and then the file's bytes to the
child's stdin; the child answers one JSON object on stdout, the document or an error object.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
from typing import Any

from gmail_mcp.config import ReadLimits
from gmail_mcp.content import documents
from gmail_mcp.content.documents import Document, Identified
from gmail_mcp.errors import GmailMcpError, InvalidParamsError, PermissionDeniedError

logger = logging.getLogger("gmail_mcp")
_ERRORS: dict[str, type[GmailMcpError]] = {
    InvalidParamsError.code: InvalidParamsError,
    PermissionDeniedError.code: PermissionDeniedError,
}


class Extractor:
    """Reads attachments, the risky kinds in worker processes (at most `limits.processes` at once)."""

    def __init__(self, limits: ReadLimits, command: tuple[str, ...] | None = None) -> None:
        self.limits = limits
        # -P: the working folder is not put on the module path (nothing there can shadow a library).
        self.command = command or (sys.executable, "-P", "-m", __name__)
        self._slots = threading.BoundedSemaphore(limits.processes)

    def read(self, found: Identified, data: bytes, charset: str | None) -> Document:
        """The document in `data`, read in a worker process when its kind is `documents.ISOLATED`.

        Raises:
            InvalidParamsError: damaged, encrypted, not what it seemed, or the reader crashed on it.
            PermissionDeniedError: a limit (pages, archive expansion, memory, time).
        """
        if found.reader not in documents.ISOLATED:
            return documents.read(found, data, charset, self.limits)
        if not self._slots.acquire(timeout=self.limits.seconds):
            raise PermissionDeniedError(
                f"Other attachments are being read ({self.limits.processes} at once); try again shortly.",
                limit=self.limits.processes,
            )
        try:
            return self._in_worker(found, data, charset)
        finally:
            self._slots.release()

    def _in_worker(self, found: Identified, data: bytes, charset: str | None) -> Document:
        header = {
            "reader": found.reader,
            "mime_type": found.mime_type,
            "charset": charset,
            "limits": dataclasses.asdict(self.limits),
        }
        request = json.dumps(header).encode() + b"\n" + data
        # As a context manager the worker's pipes are closed whatever happens: a worker stopped while
        # its input was still being written leaves a stdin that communicate() never closes.
        with subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # the worker's own log lines go where the server's go
            close_fds=True,  # no socket or file of the server's reaches a parser of hostile files
            env=_worker_environment(),
        ) as worker:
            try:
                out, _ = worker.communicate(request, timeout=self.limits.seconds)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.communicate()
                raise PermissionDeniedError(
                    f"Reading this {found.mime_type} took longer than {self.limits.seconds:g} s, the limit; "
                    "it was stopped. Download the file to read it another way.",
                    limit_seconds=self.limits.seconds,
                ) from None
            except BaseException:
                worker.kill()
                raise
        return _answer(out, worker.returncode, found)


# What a Python process needs to start and find its libraries; nothing else of the server's
# environment (an HTTP token, an IMAP password) is handed to a parser of hostile files.
_WORKER_ENVIRONMENT = (
    "PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "SYSTEMROOT",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "TEMP",
    "TMP",
)


# Coverage's subprocess support (pyproject.toml): its settings, never a secret of the server's.
# Passed on only when set, so CI measures the worker like the rest of the server.
_MEASUREMENT = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START", "COVERAGE_CORE")


def _worker_environment() -> dict[str, str]:
    names = _WORKER_ENVIRONMENT + _MEASUREMENT
    return {name: os.environ[name] for name in names if name in os.environ}


def _measured() -> bool:
    """Whether coverage measures this process (it then writes its data file at exit)."""
    return any(name in os.environ for name in _MEASUREMENT)


def _answer(out: bytes, returncode: int, found: Identified) -> Document:
    try:
        answer = json.loads(out)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not (
        isinstance(answer.get("error"), dict) or answer.get("content_type") in ("text", "markdown")
    ):
        logger.warning("the %s reader stopped with exit status %s", found.reader, returncode)
        raise InvalidParamsError(
            f"The {found.mime_type} reader stopped on this file (exit status {returncode}): it is damaged "
            "or built to break readers. Download it to read it another way.",
            exit_status=returncode,
        )
    error = answer.get("error")
    if isinstance(error, dict):
        kind = _ERRORS.get(str(error.get("code")), InvalidParamsError)
        raise kind(str(error.get("message")), **dict(error.get("details") or {}))
    return Document(
        text=str(answer["text"]),
        content_type=answer["content_type"],
        mime_type=str(answer["mime_type"]),
        note=str(answer.get("note", "")),
    )


# --- the worker process --------------------------------------------------------------------------


def _confine(limits: ReadLimits, may_write: bool) -> None:
    """Cap this process before it reads anything: memory, CPU seconds, no files written (POSIX).

    `may_write` leaves file writes allowed: only while coverage measures the worker (CI).
    """
    try:
        import resource
    except ImportError:  # Windows: the parent's deadline still holds
        return
    cpu = int(limits.seconds) + 2  # a backstop should the parent be gone
    caps = [("RLIMIT_AS", limits.memory_bytes), ("RLIMIT_CPU", cpu), ("RLIMIT_CORE", 0)]
    if not may_write:
        caps.append(("RLIMIT_FSIZE", 0))
    for name, value in caps:
        which = getattr(resource, name, None)
        if which is not None:
            with contextlib.suppress(ValueError, OSError):  # never raise a limit already lower
                soft, hard = resource.getrlimit(which)
                limit = value if soft == resource.RLIM_INFINITY else min(value, soft)
                resource.setrlimit(which, (limit, hard))


def _serve() -> int:
    answer_to = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to the log, never into the answer
    header = json.loads(sys.stdin.buffer.readline())
    limits = ReadLimits(**header["limits"])
    data = sys.stdin.buffer.read()  # at most ReadLimits.max_bytes: the parent checked
    found = Identified(header["reader"], header["mime_type"])
    documents.load_library(found.reader)  # the limits are for the file, not for loading the reader
    _confine(limits, may_write=_measured())
    answer: dict[str, Any]
    try:
        document = documents.read(found, data, header["charset"], limits)
        answer = {
            "text": document.text,
            "content_type": document.content_type,
            "mime_type": document.mime_type,
            "note": document.note,
        }
    except GmailMcpError as exc:
        if isinstance(exc, InvalidParamsError) and _came_near_the_memory_cap(limits):
            answer = _out_of_memory(limits)
        else:
            answer = {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
    except MemoryError:
        answer = _out_of_memory(limits)
    except Exception:
        if _came_near_the_memory_cap(limits):
            answer = _out_of_memory(limits)
        else:
            logging.getLogger("gmail_mcp").exception("reading a %s failed", found.reader)
            answer = {
                "error": {
                    "code": InvalidParamsError.code,
                    "message": f"This {found.mime_type} file could not be read: it is damaged or not what it seems.",
                    "details": {},
                }
            }
    answer_to.write(json.dumps(answer, default=str).encode())
    answer_to.close()
    return 0


def _out_of_memory(limits: ReadLimits) -> dict[str, Any]:
    return {
        "error": {
            "code": PermissionDeniedError.code,
            "message": f"Reading this file needs more than {limits.memory_bytes:,} bytes of memory, the "
            "limit; it was stopped. Download it to read it another way.",
            "details": {"limit_bytes": limits.memory_bytes},
        }
    }


_NEAR = 16 * 1024 * 1024


def _came_near_the_memory_cap(limits: ReadLimits) -> bool:
    """Whether this process's address space peaked within a few MiB of its cap (Linux): a library
    failing then failed for want of memory, whatever it says (lxml says "unknown error")."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 >= limits.memory_bytes - _NEAR
    except (OSError, ValueError, IndexError):
        pass
    return False


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    sys.exit(_serve())

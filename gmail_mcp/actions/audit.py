"""An append-only audit trail of what the agent changed or sent, as JSON lines (mode 0600).

Records say which tool ran, when, on which ids and recipients, and the outcome. Tokens and
message bodies never go in.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class AuditLog:
    def __init__(self, path: Path | None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()

    def record(self, tool: str, outcome: str, **fields: Any) -> bool:
        """Append one record; `outcome` is "ok", "refused", "error", "attempt" (about to send),
        "unknown" (may have happened) or "cancelled" (stopped for the client's cancel, nothing done).

        Never raises: returns whether the record was written (True when auditing is off), so a
        send can refuse to go ahead unrecorded while a failure to record its outcome cannot turn a
        sent email into a reported failure.
        """
        if self.path is None:
            return True
        entry = {
            "time": datetime.fromtimestamp(self._clock(), tz=UTC).isoformat(timespec="seconds"),
            "tool": tool,
            "outcome": outcome,
            **{k: v for k, v in fields.items() if v not in (None, "", [], ())},
        }
        try:
            # backslashreplace: a lone surrogate from a hostile header must not lose the record.
            line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode(
                "utf-8", "backslashreplace"
            )
            with self._lock:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    # The mode given to open applies only to a new file: one left 0644 by an older
                    # version (or another program) is made private too.
                    if hasattr(os, "fchmod") and stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
                        os.fchmod(fd, 0o600)
                    os.write(fd, line)
                finally:
                    os.close(fd)
        except (OSError, ValueError, TypeError):
            import logging

            logging.getLogger("gmail_mcp").exception("could not write the audit log %s", self.path)
            return False
        return True

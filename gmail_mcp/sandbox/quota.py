"""Gmail's per-user quota (units in any rolling minute) and the counters behind /__sandbox/stats."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from gmail_mcp.sandbox.outgoing import Envelope

_OUTBOX_KEEP = 100  # the newest sent envelopes kept for tests to inspect


class QuotaWindow:
    """Units spent in the last 60 seconds of the clock. A call that would go over the limit is
    refused and spends nothing. A limit of 0 or less means no limit."""

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._spent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def try_spend(self, units: int) -> bool:
        """Spend `units` now if the rolling minute allows it."""
        if self.per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            while self._spent and self._spent[0][0] <= now - 60:
                self._spent.popleft()
            used = sum(u for _, u in self._spent)
            if used + units > self.per_minute:
                return False
            self._spent.append((now, units))
            return True

    def reset(self) -> None:
        """Forget everything spent."""
        with self._lock:
            self._spent.clear()


class Stats:
    """Counters of what clients did, as GET /__sandbox/stats reports them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._by_method: Counter[str] = Counter()
        self._by_user: dict[str, Counter[str]] = {}
        self._outbox: deque[dict[str, object]] = deque(maxlen=_OUTBOX_KEEP)

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._counts.clear()
            self._by_method.clear()
            self._by_user.clear()
            self._outbox.clear()

    def add(self, name: str, amount: int = 1) -> None:
        """Increase one counter (requests, batch_requests, batch_parts, quota_units, throttled, ...)."""
        with self._lock:
            self._counts[name] += amount

    def call(self, method_id: str) -> None:
        """Count one call of a Gmail method (batch parts included)."""
        with self._lock:
            self._by_method[method_id] += 1

    def spent(self, user: str, units: int) -> None:
        """Count one admitted call of `user` and the quota units it spent."""
        with self._lock:
            counts = self._by_user.setdefault(user, Counter())
            counts["calls"] += 1
            counts["quota_units"] += units

    def sent(self, message_id: str, thread_id: str, envelope: Envelope) -> None:
        """Record a message actually sent, with its Bcc (which the stored copy no longer shows)."""
        with self._lock:
            self._counts["sent"] += 1
            self._outbox.append(
                {
                    "id": message_id,
                    "threadId": thread_id,
                    "from": envelope.sender,
                    "to": list(envelope.to),
                    "cc": list(envelope.cc),
                    "bcc": list(envelope.bcc),
                    "subject": envelope.subject,
                }
            )

    def snapshot(self) -> dict[str, Any]:
        """The stats JSON."""
        with self._lock:
            names = ("requests", "batch_requests", "batch_parts", "quota_units", "throttled")
            out: dict[str, Any] = {name: self._counts[name] for name in names}
            out["by_method"] = dict(sorted(self._by_method.items()))
            out["by_user"] = {user: dict(counts) for user, counts in self._by_user.items()}
            for extra in ("sent", "upload_requests", "faults_injected", "concurrency_limited"):
                out[extra] = self._counts[extra]
            out["outbox"] = list(self._outbox)
            return out

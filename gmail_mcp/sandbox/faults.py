"""Injected failures (POST /__sandbox/faults): the next matching calls fail as Google's do.

A fault names a discovery method id (or ``"batch"`` for a batch envelope; no method matches any
Gmail call but not the envelope) and fails `count` calls with `status`, or closes the connection
(`reset`). With `applied` the call takes effect first, as when a response is lost on the way back.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

from gmail_mcp.sandbox.apierror import ApiError
from gmail_mcp.sandbox.methods import METHOD_IDS

OAUTH_ERRORS = ("invalid_grant",)
_FIELDS = {"status", "count", "method", "reason", "message", "retry_after", "applied", "reset"}


class FaultSpecError(ValueError):
    """A fault description the sandbox cannot honour (answered with 400)."""


@dataclass
class Fault:
    """One pending failure."""

    status: int | None
    count: int
    method: str | None = None
    reason: str | None = None
    message: str | None = None
    retry_after: float | None = None
    applied: bool = False
    reset: bool = False

    def error(self) -> ApiError:
        """The error to answer with."""
        headers: tuple[tuple[str, str], ...] = ()
        if self.retry_after is not None:
            seconds = int(self.retry_after) if self.retry_after.is_integer() else self.retry_after
            headers = (("Retry-After", str(seconds)),)
        return ApiError(self.status or 503, self.reason, self.message, headers=headers)


def _int(spec: dict[str, object], name: str) -> int | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultSpecError(f"'{name}' must be an integer")
    return value


def _number(spec: dict[str, object], name: str) -> float | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultSpecError(f"'{name}' must be a number")
    return float(value)


def _str(spec: dict[str, object], name: str) -> str | None:
    value = spec.get(name)
    if value is not None and not isinstance(value, str):
        raise FaultSpecError(f"'{name}' must be a string")
    return value


def _bool(spec: dict[str, object], name: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise FaultSpecError(f"'{name}' must be true or false")
    return value


def _count(spec: dict[str, object]) -> int:
    count = _int(spec, "count")
    if count is not None and count < 1:
        raise FaultSpecError("'count' must be at least 1")
    return 1 if count is None else count


def parse_fault(spec: object) -> Fault | tuple[str, int]:
    """A Fault, or ("invalid_grant", count) for an OAuth fault. Raises FaultSpecError."""
    if not isinstance(spec, dict):
        raise FaultSpecError("the body must be a JSON object")
    if "oauth" in spec:
        if spec["oauth"] not in OAUTH_ERRORS:
            raise FaultSpecError(f"'oauth' must be one of {list(OAUTH_ERRORS)}")
        extra = set(spec) - {"oauth", "count"}
        if extra:
            raise FaultSpecError(f"unknown fields for an OAuth fault: {sorted(extra)}")
        return str(spec["oauth"]), _count(spec)
    unknown = set(spec) - _FIELDS
    if unknown:
        raise FaultSpecError(f"unknown fields: {sorted(unknown)}")
    status = _int(spec, "status")
    reset = _bool(spec, "reset")
    if status is None and not reset:
        raise FaultSpecError("'status' is required (or 'reset': true)")
    if status is not None and not 400 <= status <= 599:
        raise FaultSpecError("'status' must be an HTTP error code (400-599)")
    method = _str(spec, "method")
    if method is not None and method not in METHOD_IDS and method != "batch":
        raise FaultSpecError(f"unknown method {method!r}: use a discovery id like gmail.users.messages.get")
    retry_after = _number(spec, "retry_after")
    if retry_after is not None and retry_after < 0:
        raise FaultSpecError("'retry_after' must not be negative")
    return Fault(
        status=status,
        count=_count(spec),
        method=method,
        reason=_str(spec, "reason"),
        message=_str(spec, "message"),
        retry_after=retry_after,
        applied=_bool(spec, "applied"),
        reset=reset,
    )


class FaultBook:
    """Pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._oauth: list[str] = []

    def add(self, spec: object) -> None:
        """Register a fault from its JSON description. Raises FaultSpecError."""
        parsed = parse_fault(spec)
        with self._lock:
            if isinstance(parsed, Fault):
                self._faults.append(parsed)
            else:
                error, count = parsed
                self._oauth.extend([error] * count)

    def take(self, method_id: str) -> Fault | None:
        """Consume one use of the first fault matching this call, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.method == method_id or (fault.method is None and method_id != "batch"):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def take_oauth(self) -> str | None:
        """Consume one pending OAuth refresh failure, if any."""
        with self._lock:
            return self._oauth.pop(0) if self._oauth else None

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()
            self._oauth.clear()

    def pending(self) -> dict[str, object]:
        """What is still armed, for the control endpoint's answer."""
        with self._lock:
            return {"faults": [asdict(f) for f in self._faults], "oauth": list(self._oauth)}

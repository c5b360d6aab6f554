"""Injected failures (POST /__sandbox/faults): the next matching calls fail as Google's do.

A fault names a discovery method id (or ``"batch"`` for a batch envelope; no method matches any
Gmail call but not the envelope) and fails `count` calls with `status`, or closes the connection
(`reset`). With `applied` the call takes effect first, as when a response is lost on the way back.
With `rate` (0 to 1) it is a storm: each matching call fails with that probability, drawn from a
generator seeded with `seed` (the same storm every run), until `count` calls have failed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields

from gmail_mcp.sandbox.apierror import ApiError
from gmail_mcp.sandbox.methods import METHOD_IDS

OAUTH_ERRORS = ("invalid_grant",)  # the next token refreshes fail this way
OAUTH_CONSENTS = ("partial_grant",)  # the next consents grant only the listed scopes
_FIELDS = {
    "status",
    "count",
    "method",
    "reason",
    "message",
    "retry_after",
    "applied",
    "reset",
    "rate",
    "seed",
}


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
    rate: float | None = None  # a storm: the chance that each matching call fails
    seed: int = 0

    def __post_init__(self) -> None:
        self._draws = random.Random(self.seed)

    def strikes(self) -> bool:
        """Whether this fault fails the call now (always, unless it is a storm)."""
        return self.rate is None or self._draws.random() < self.rate

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


@dataclass(frozen=True)
class ConsentFault:
    """The next consents grant only these scopes (of those asked for), as when a person unticks
    some of them on Google's consent screen."""

    grant: tuple[str, ...]
    count: int


def _grant(spec: dict[str, object]) -> tuple[str, ...]:
    grant = spec.get("grant")
    if not isinstance(grant, list) or not grant or not all(isinstance(s, str) and s for s in grant):
        raise FaultSpecError("'grant' must be a non-empty list of scopes")
    return tuple(str(s) for s in grant)


def parse_fault(spec: object) -> Fault | ConsentFault | tuple[str, int]:
    """A Fault, a ConsentFault, or ("invalid_grant", count) for a refresh fault. Raises FaultSpecError."""
    if not isinstance(spec, dict):
        raise FaultSpecError("the body must be a JSON object")
    if "oauth" in spec:
        kind = spec["oauth"]
        if kind not in OAUTH_ERRORS + OAUTH_CONSENTS:
            raise FaultSpecError(f"'oauth' must be one of {list(OAUTH_ERRORS + OAUTH_CONSENTS)}")
        allowed = {"oauth", "count", "grant"} if kind in OAUTH_CONSENTS else {"oauth", "count"}
        extra = set(spec) - allowed
        if extra:
            raise FaultSpecError(f"unknown fields for an OAuth fault: {sorted(extra)}")
        if kind in OAUTH_CONSENTS:
            return ConsentFault(_grant(spec), _count(spec))
        return str(kind), _count(spec)
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
    rate = _number(spec, "rate")
    if rate is not None and not 0 < rate <= 1:
        raise FaultSpecError("'rate' must be above 0 and at most 1")
    return Fault(
        status=status,
        count=_count(spec),
        method=method,
        reason=_str(spec, "reason"),
        message=_str(spec, "message"),
        retry_after=retry_after,
        applied=_bool(spec, "applied"),
        reset=reset,
        rate=rate,
        seed=_int(spec, "seed") or 0,
    )


class FaultBook:
    """Pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._oauth: list[str] = []
        self._consents: list[tuple[str, ...]] = []

    def add(self, spec: object) -> None:
        """Register a fault from its JSON description. Raises FaultSpecError."""
        parsed = parse_fault(spec)
        with self._lock:
            if isinstance(parsed, Fault):
                self._faults.append(parsed)
            elif isinstance(parsed, ConsentFault):
                self._consents.extend([parsed.grant] * parsed.count)
            else:
                error, count = parsed
                self._oauth.extend([error] * count)

    def take(self, method_id: str) -> Fault | None:
        """Consume one use of the first fault matching this call, if any."""
        with self._lock:
            for fault in self._faults:
                matches = fault.method == method_id or (fault.method is None and method_id != "batch")
                if matches and fault.strikes():
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def take_oauth(self) -> str | None:
        """Consume one pending OAuth refresh failure, if any."""
        with self._lock:
            return self._oauth.pop(0) if self._oauth else None

    def take_consent(self) -> tuple[str, ...] | None:
        """Consume one pending partial grant (the scopes a person left ticked), if any."""
        with self._lock:
            return self._consents.pop(0) if self._consents else None

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()
            self._oauth.clear()
            self._consents.clear()

    def pending(self) -> dict[str, object]:
        """What is still armed, for the control endpoint's answer."""
        with self._lock:
            return {
                "faults": [{f.name: getattr(fault, f.name) for f in fields(fault)} for fault in self._faults],
                "oauth": list(self._oauth),
                "consents": [list(grant) for grant in self._consents],
            }

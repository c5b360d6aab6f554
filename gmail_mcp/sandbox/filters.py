"""Gmail's filters (users.settings.filters): validated as Gmail validates them, applied to incoming mail.

A filter is a search (its criteria) and label changes (its action). Gmail documents the criteria
fields and that a user has at most 1,000 filters; the rest is what Gmail answers, reproduced here:

- a filter needs at least one criterion (`excludeChats` alone is none) and one action, else 400;
- `size` goes with `sizeComparison` (`smaller` or `larger`), and the other way round;
- action labels must exist; SENT and DRAFT cannot be added or removed (as in messages.modify);
  a label added and removed at once is refused;
- `forward` needs a verified forwarding address: this sandbox has none, so it is always refused
  (400 failedPrecondition), which is also what an unverified address gets from Gmail;
- a second filter with the same criteria and action is refused (400 "Filter already exists");
- ids are opaque strings (Gmail's start with ``ANe1Bm``).

Incoming mail (`POST /__sandbox/deliver`) is matched by turning the criteria into the search they
stand for (`FilterCriteria.query`: ``from:(..) subject:(..) has:attachment larger:N -(..)``),
so a filter finds what the same search would find.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from gmail_mcp.sandbox.apierror import failed_precondition, invalid, not_found
from gmail_mcp.sandbox.labels import LabelBook

MAX_FILTERS = 1000
_TEXT_CRITERIA = ("from", "to", "subject", "query", "negatedQuery")
_FLAG_CRITERIA = ("hasAttachment", "excludeChats")
_CRITERIA = (*_TEXT_CRITERIA, *_FLAG_CRITERIA, "size", "sizeComparison")
_ACTIONS = ("addLabelIds", "removeLabelIds", "forward")
_COMPARISONS = ("smaller", "larger")


@dataclass(frozen=True)
class Filter:
    """One stored filter: Gmail's resource, kept as Gmail echoes it back."""

    id: str
    criteria: dict[str, object]
    action: dict[str, object]

    def resource(self) -> dict[str, object]:
        return {"id": self.id, "criteria": dict(self.criteria), "action": _copy_action(self.action)}

    def query(self) -> str:
        """The Gmail search the criteria stand for."""
        c = self.criteria
        parts = [f"from:({c['from']})"] if c.get("from") else []
        if c.get("to"):  # Gmail's `to` criterion reads To, Cc and Bcc alike
            parts.append(f"(to:({c['to']}) OR cc:({c['to']}) OR bcc:({c['to']}))")
        parts += [f"subject:({c['subject']})"] if c.get("subject") else []
        parts += [f"({c['query']})"] if c.get("query") else []
        parts += [f"-({c['negatedQuery']})"] if c.get("negatedQuery") else []
        parts += ["has:attachment"] if c.get("hasAttachment") else []
        if c.get("sizeComparison") in _COMPARISONS:
            parts.append(f"{c['sizeComparison']}:{c['size']}")
        return " ".join(parts)

    def changes(self) -> tuple[list[str], list[str]]:
        """(label ids added, label ids removed) by the action."""
        return _ids(self.action.get("addLabelIds")), _ids(self.action.get("removeLabelIds"))


class FilterBook:
    """The filters of one mailbox, oldest first."""

    def __init__(self) -> None:
        self._filters: dict[str, Filter] = {}

    def all(self) -> list[Filter]:
        return list(self._filters.values())

    def get(self, filter_id: str) -> Filter:
        found = self._filters.get(filter_id)
        if found is None:
            raise not_found()
        return found

    def delete(self, filter_id: str) -> None:
        self.get(filter_id)
        del self._filters[filter_id]

    def create(self, body: dict[str, object], labels: LabelBook) -> Filter:
        """filters.create: 400 for anything Gmail refuses (see the module docstring)."""
        criteria = _criteria(body.get("criteria"))
        action = _action(body.get("action"), labels)
        if len(self._filters) >= MAX_FILTERS:
            raise failed_precondition(f"Too many filters: a user can have at most {MAX_FILTERS}.")
        if any(f.criteria == criteria and f.action == action for f in self._filters.values()):
            raise failed_precondition("Filter already exists")
        new = Filter(
            id="ANe1Bm" + secrets.token_urlsafe(18).replace("-", "A").replace("_", "B"),
            criteria=criteria,
            action=action,
        )
        self._filters[new.id] = new
        return new


def _criteria(value: object) -> dict[str, object]:
    if not isinstance(value, dict) or not value:
        raise invalid("Filter doesn't have any criteria")
    unknown = set(value) - set(_CRITERIA)
    if unknown:
        raise invalid(
            f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at 'filter.criteria'"
        )
    out: dict[str, object] = {}
    for key in _TEXT_CRITERIA:
        text = value.get(key)
        if text is None:
            continue
        if not isinstance(text, str):
            raise invalid(f"Invalid value at 'filter.criteria.{key}' (TYPE_STRING)")
        if text.strip():
            out[key] = text.strip()
    for key in _FLAG_CRITERIA:
        flag = value.get(key)
        if flag is None:
            continue
        if not isinstance(flag, bool):
            raise invalid(f"Invalid value at 'filter.criteria.{key}' (TYPE_BOOL)")
        if flag:
            out[key] = True
    size, comparison = value.get("size"), value.get("sizeComparison")
    if comparison not in (None, "unspecified", *_COMPARISONS):
        raise invalid(f"Invalid value at 'filter.criteria.size_comparison', \"{comparison}\"")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise invalid("Invalid value at 'filter.criteria.size' (TYPE_INT32)")
    if (size is not None) != (comparison in _COMPARISONS):
        raise invalid("Filter size criteria need both size and sizeComparison (smaller or larger)")
    if size is not None:
        out["size"], out["sizeComparison"] = size, comparison
    if not set(out) - {"excludeChats"}:
        raise invalid("Filter doesn't have any criteria")
    return out


def _action(value: object, labels: LabelBook) -> dict[str, object]:
    if not isinstance(value, dict) or not value:
        raise invalid("Filter doesn't have any actions")
    unknown = set(value) - set(_ACTIONS)
    if unknown:
        raise invalid(
            f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at 'filter.action'"
        )
    out: dict[str, object] = {}
    for key in ("addLabelIds", "removeLabelIds"):
        ids = value.get(key)
        if ids is None:
            continue
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid(f"Invalid value at 'filter.action.{key}': expected a list of label ids")
        canonical = labels.require(ids)
        for fixed in ("SENT", "DRAFT"):
            if fixed in canonical:
                raise invalid(f"Invalid label: {fixed}")
        if canonical:
            out[key] = list(dict.fromkeys(canonical))
    add, remove = _ids(out.get("addLabelIds")), _ids(out.get("removeLabelIds"))
    if set(add) & set(remove):
        raise invalid("A label cannot be both added and removed")
    forward = value.get("forward")
    if forward is not None and forward != "":
        # Only a verified forwarding address is accepted, and this sandbox has none.
        raise failed_precondition(
            f"Invalid forwarding address: {forward} is not a verified forwarding address"
        )
    if not out:
        raise invalid("Filter doesn't have any actions")
    return out


def _ids(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _copy_action(action: dict[str, object]) -> dict[str, object]:
    return {k: list(v) if isinstance(v, list) else v for k, v in action.items()}


def label_effects(filters: Iterable[Filter], matches: Iterable[bool]) -> tuple[set[str], set[str]]:
    """The labels every matching filter adds and removes, together (removes win over adds, as a
    filter that skips the inbox beats the inbox the delivery gave)."""
    added: set[str] = set()
    removed: set[str] = set()
    for found, matched in zip(filters, matches, strict=True):
        if matched:
            add, remove = found.changes()
            added |= set(add)
            removed |= set(remove)
    return added - removed, removed

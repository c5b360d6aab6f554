"""Gmail filters: list, create (optionally applied to the mail already there), delete.

A filter is a search and a label change, as Gmail defines it (users.settings.filters). Creating
one can also apply it to existing mail, as Gmail's "also apply to matching conversations" does:
the filter's search becomes a bulk change (`actions.bulk`), capped per call like any bulk change.

Forwarding is not offered: a filter that forwards every email is the classic way to take mail
out of an account once an agent has been talked into it, so this server never creates one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gmail_mcp.actions import bulk
from gmail_mcp.actions.account import Account
from gmail_mcp.errors import InvalidParamsError
from gmail_mcp.models import FilterAction, FilterCriteria, MailFilter


@dataclass(frozen=True)
class Created:
    filter: MailFilter
    applied: bulk.Outcome | None = None  # the change to existing mail, when asked
    query: str = ""  # the search the filter stands for


def create(
    account: Account,
    tool: str,
    criteria: FilterCriteria,
    add_labels: Sequence[str],
    remove_labels: Sequence[str],
    *,
    apply_to_existing: bool,
) -> Created:
    """Create a filter (labels by name or id) and, when asked, apply it to the mail already there.

    Raises:
        InvalidParamsError: no criterion, no action, or criteria that cannot be searched for.
        NotFoundError: a label that does not exist.
    """
    if not (criteria.model_dump(exclude={"exclude_chats"}, exclude_defaults=True)):
        raise InvalidParamsError(
            "A filter needs at least one criterion: from, to, subject, query, negated_query, "
            "has_attachment or size."
        )
    if criteria.size is not None and criteria.size_comparison is None:
        raise InvalidParamsError("size needs size_comparison: smaller or larger.")
    if criteria.size_comparison is not None and criteria.size is None:
        raise InvalidParamsError("size_comparison needs a size in bytes.")
    backend = account.backend()
    change = bulk.resolve_change(backend, (), add_labels, remove_labels)
    query = search_for(criteria) if apply_to_existing else ""
    if apply_to_existing:
        bulk.narrowed(query, change, backend.list_labels())  # refuse what cannot be applied, first
    action = FilterAction(add_label_ids=change.add, remove_label_ids=change.remove)
    made = account.audited(
        tool,
        lambda: backend.create_filter(criteria, action),
        result_fields=lambda f: {"filter_id": f.id},
        criteria=criteria.model_dump(exclude_defaults=True),
        added=list(change.add),
        removed=list(change.remove),
    )
    applied = bulk.by_query(account, tool, change, query, dry_run=False) if apply_to_existing else None
    return Created(made, applied, query)


def delete(account: Account, tool: str, filter_id: str) -> None:
    """Delete a filter for good (mail it already labelled keeps its labels).

    Raises:
        NotFoundError: no such filter.
    """
    backend = account.backend()
    account.audited(tool, lambda: backend.delete_filter(filter_id), filter_id=filter_id)


def search_for(criteria: FilterCriteria) -> str:
    """The Gmail search a filter's criteria stand for.

    Raises:
        InvalidParamsError: a from/to/subject value with quotes, parentheses or braces, which the
            search would read as its own syntax.
    """
    for key in ("sender", "to", "subject"):
        value = getattr(criteria, key)
        if any(char in value for char in '"(){}'):
            raise InvalidParamsError(
                f"The {'from' if key == 'sender' else key} criterion {value!r} has quotes, parentheses or "
                "braces, so it cannot be searched for exactly; drop them, or put the whole search in query.",
                criterion=key,
            )
    parts = [f"from:({criteria.sender})"] if criteria.sender else []
    if criteria.to:  # Gmail's `to` criterion reads To, Cc and Bcc alike
        parts.append(f"(to:({criteria.to}) OR cc:({criteria.to}) OR bcc:({criteria.to}))")
    parts += [f"subject:({criteria.subject})"] if criteria.subject else []
    parts += [f"({criteria.query})"] if criteria.query else []
    parts += [f"-({criteria.negated_query})"] if criteria.negated_query else []
    parts += ["has:attachment"] if criteria.has_attachment else []
    if criteria.size is not None and criteria.size_comparison:
        parts.append(f"{criteria.size_comparison}:{criteria.size}")
    return " ".join(parts)

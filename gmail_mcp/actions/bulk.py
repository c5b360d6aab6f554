"""Bulk changes: one label change (archive, read, star, trash, labels...) on many emails at once.

Emails are chosen by ids or by a Gmail search. A search is narrowed to the emails the change would
alter (archiving searches ``in:inbox <query>``, labelling ``-label:x <query>``), which makes
three things true at once: the count is exactly what would change, the change is one
`messages.batchModify` call per 1,000 emails, and a second identical call continues where the
first stopped at its cap, because what was changed no longer matches (a page token would skip
emails instead: archived ones leave the result and the pages shift).

Trash is a label too: Gmail documents TRASH (and INBOX, UNREAD, STARRED, IMPORTANT, SPAM and the
categories) as labels that "can be manually applied", so batchModify adding TRASH moves emails to
Trash (kept 30 days, as messages.trash does) and removing it takes them out, without one
messages.trash call per email. Nothing here deletes permanently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from gmail_mcp.actions.account import Account
from gmail_mcp.errors import InvalidParamsError

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend
    from gmail_mcp.models import Label, MessageSummary

MAX_PER_CALL = 1000  # Gmail's limit of ids per batchModify, and this action's per call
PREVIEW = 10  # emails a dry run lists: one batch of details, the first batch size Gmail takes

# The `actions` of modify-emails, and what each adds and removes.
Verb = Literal["archive", "unarchive", "read", "unread", "star", "unstar", "trash", "untrash"]
VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "archive": ((), ("INBOX",)),
    "unarchive": (("INBOX",), ()),
    "read": ((), ("UNREAD",)),
    "unread": (("UNREAD",), ()),
    "star": (("STARRED",), ()),
    "unstar": ((), ("STARRED",)),
    "trash": (("TRASH",), ()),
    "untrash": ((), ("TRASH",)),
}
# The search term of each system label a person can apply (Gmail's "can be manually applied").
SYSTEM_TERMS = {
    "INBOX": "in:inbox",
    "TRASH": "in:trash",
    "SPAM": "in:spam",
    "UNREAD": "is:unread",
    "STARRED": "is:starred",
    "IMPORTANT": "is:important",
    "CATEGORY_PERSONAL": "category:primary",
    "CATEGORY_SOCIAL": "category:social",
    "CATEGORY_PROMOTIONS": "category:promotions",
    "CATEGORY_UPDATES": "category:updates",
    "CATEGORY_FORUMS": "category:forums",
}
_SEARCHABLE_NAME = re.compile(r"[\w.&+-]+")
_LEADING_CONNECTIVE = re.compile(r"(OR|AND|AROUND)(\s|$)")
# A query that might reach into the trash (in:trash, in:anywhere, label:trash ...): more than enough.
_REACHES_TRASH = re.compile(r"trash|anywhere|bin", re.IGNORECASE)


@dataclass(frozen=True)
class Change:
    """Labels to add and remove, by id; `names` says how each reads."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)

    def named(self, ids: Sequence[str]) -> list[str]:
        return [self.names.get(i, i) for i in ids]


@dataclass(frozen=True)
class Outcome:
    """What a bulk change did (or, in a dry run, would do)."""

    count: int  # emails changed (or that would change); for ids, the ids given
    more: bool  # more emails match: the same call again continues
    emails: tuple[MessageSummary, ...] = ()  # the first of them, in a dry run
    estimate: int = 0  # Gmail's estimate of all matches, when more remain


def modify(
    account: Account,
    tool: str,
    verbs: Sequence[str],
    add_labels: Sequence[str],
    remove_labels: Sequence[str],
    *,
    query: str | None,
    ids: Sequence[str] | None,
    dry_run: bool,
) -> tuple[Change, Outcome]:
    """Apply the change the verbs and labels ask for to `ids` or to the matches of `query`.

    Raises:
        InvalidParamsError: neither or both of query and ids, or a bad change (see resolve_change).
        NotFoundError: a label that does not exist.
    """
    if (query is None) == (ids is None):
        raise InvalidParamsError("Give either query (a Gmail search) or ids, not both and not neither.")
    change = resolve_change(account.backend(), verbs, add_labels, remove_labels)
    if query is not None:
        return change, by_query(account, tool, change, query, dry_run=dry_run)
    return change, by_ids(account, tool, change, ids or (), dry_run=dry_run)


def resolve_change(
    backend: MailBackend, verbs: Sequence[str], add_labels: Sequence[str], remove_labels: Sequence[str]
) -> Change:
    """The label change the verbs and label names or ids ask for.

    Raises:
        InvalidParamsError: nothing to change, a label both added and removed, or a label Gmail
            applies by itself (SENT, DRAFT, CHAT).
        NotFoundError: a label that does not exist.
    """
    add: list[str] = []
    remove: list[str] = []
    names: dict[str, str] = {}
    for verb in verbs:
        verb_add, verb_remove = VERBS[verb]
        add += verb_add
        remove += verb_remove
    for wanted, into in ((add_labels, add), (remove_labels, remove)):
        for name in wanted:
            label = backend.resolve_label(name)
            names[label.id] = label.name
            if label.id in ("SENT", "DRAFT", "CHAT"):
                raise InvalidParamsError(
                    f"{label.id} is applied by Gmail itself and cannot be added or removed.", label=label.id
                )
            into.append(label.id)
    add, remove = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
    both = sorted(set(add) & set(remove))
    if both:
        raise InvalidParamsError(
            f"Asked both to add and to remove {', '.join(names.get(i, i) for i in both)}; choose one.",
            labels=both,
        )
    if not add and not remove:
        raise InvalidParamsError("Nothing to change: no label to add or remove (nor an action).")
    return Change(tuple(add), tuple(remove), names)


def narrowed(query: str, change: Change, labels: Sequence[Label]) -> str:
    """`query` limited to the emails `change` would alter: any label to add missing, or any label
    to remove present. The condition goes first, ANDed with the whole query (Gmail's OR binds
    tighter than the implicit AND): a query can then neither swallow it (a trailing ``from:``) nor
    escape it, unless it opens with a connective or leaves a quote or group open, which is refused.

    Trashing needs no condition of its own unless the query reaches into the trash: a search
    leaves trashed mail out by itself.

    Raises:
        InvalidParamsError: the query is empty, opens with a connective or is unbalanced, or a
            label cannot be named in a search unambiguously.
    """
    text = query.strip()
    if not text:
        raise InvalidParamsError("The query is empty: give a Gmail search (e.g. in:inbox from:x) or ids.")
    if text.count('"') % 2 or not _balanced(text):
        raise InvalidParamsError(
            "The query has an unclosed quote or parenthesis; fix it and call again.", query=query
        )
    if _LEADING_CONNECTIVE.match(text):
        raise InvalidParamsError(
            "The query starts with OR, AND or AROUND; fix it and call again.", query=query
        )
    adds = [i for i in change.add if i != "TRASH" or _REACHES_TRASH.search(text)]
    conditions = [f"-{search_term(i, change, labels)}" for i in adds]
    conditions += [search_term(i, change, labels) for i in change.remove]
    if not conditions:
        return text
    condition = conditions[0] if len(conditions) == 1 else f"({' OR '.join(conditions)})"
    return f"{condition} {text}"


def search_term(label_id: str, change: Change, labels: Sequence[Label]) -> str:
    """How a Gmail search names one label.

    Raises:
        InvalidParamsError: a user label whose name a search cannot tell from another's.
    """
    if label_id in SYSTEM_TERMS:
        return SYSTEM_TERMS[label_id]
    name = change.names.get(label_id, label_id)
    key = _search_key(name)
    others = [label.name for label in labels if label.id != label_id and _search_key(label.name) == key]
    if others or not _SEARCHABLE_NAME.fullmatch(key):
        raise InvalidParamsError(
            f"The label {name!r} cannot be named exactly in a Gmail search (its name has characters a "
            "search reads differently, or another label searches the same); pass the emails' ids instead.",
            label_id=label_id,
        )
    return f"label:{key}"


def _search_key(name: str) -> str:
    # Gmail's search writes a label's spaces and slashes as dashes (Work/Big Deals: label:work-big-deals).
    return re.sub(r"[\s/-]+", "-", name.strip().casefold()).strip("-")


def _balanced(text: str) -> bool:
    depth = 0
    inside = False
    for char in text:
        if char == '"':
            inside = not inside
        elif not inside and char in "({":
            depth += 1
        elif not inside and char in ")}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def by_query(
    account: Account,
    tool: str,
    change: Change,
    query: str,
    *,
    dry_run: bool,
) -> Outcome:
    """Apply `change` to the emails matching `query` it would alter, at most the account's cap
    (`Settings.max_bulk_changes`, never above Gmail's 1,000) per call."""
    cap = _cap(account)
    backend = account.backend()
    user_labels = any(i not in SYSTEM_TERMS for i in (*change.add, *change.remove))
    search = narrowed(query, change, backend.list_labels() if user_labels else [])
    ids: list[str] = []
    token: str | None = None
    estimate = 0
    while len(ids) < cap:
        page = backend.list_ids(search, max_results=min(500, cap - len(ids)), page_token=token)
        ids += page.ids
        token, estimate = page.next_page_token, page.result_size_estimate
        if not token:
            break
    ids = list(dict.fromkeys(ids))[:cap]
    more = token is not None
    if dry_run:
        return Outcome(len(ids), more, tuple(backend.get_summaries(ids[:PREVIEW])), estimate if more else 0)
    if ids:
        account.audited(
            tool,
            lambda: backend.batch_modify(ids, add=change.add, remove=change.remove),
            query=query,
            email_ids=ids,
            added=list(change.add),
            removed=list(change.remove),
            count=len(ids),
        )
    return Outcome(len(ids), more, (), estimate if more else 0)


def by_ids(account: Account, tool: str, change: Change, ids: Sequence[str], *, dry_run: bool) -> Outcome:
    """Apply `change` to these emails (ids Gmail does not know are skipped, as batchModify does)."""
    wanted = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not wanted:
        raise InvalidParamsError("No ids given: pass email ids from list or search results, or a query.")
    if len(wanted) > _cap(account):
        raise InvalidParamsError(
            f"At most {_cap(account):,} ids per call; split them, or use a query.", count=len(wanted)
        )
    backend = account.backend()
    if dry_run:
        return Outcome(len(wanted), False, tuple(backend.get_summaries(wanted[:PREVIEW])))
    account.audited(
        tool,
        lambda: backend.batch_modify(wanted, add=change.add, remove=change.remove),
        email_ids=wanted,
        added=list(change.add),
        removed=list(change.remove),
        count=len(wanted),
    )
    return Outcome(len(wanted), False)


def _cap(account: Account) -> int:
    return max(1, min(account.settings.max_bulk_changes, MAX_PER_CALL))

"""Labels themselves: create, rename and delete them, nested names included.

Gmail nests labels by name: "Clients/Acme" shows under "Clients" only when "Clients" exists, and
its web interface renames "Clients/..." along with "Clients". Here too: creating a nested label
creates its missing parents, renaming a label renames its children, so the tree stays a tree.
System labels (INBOX, SENT, ...) are Gmail's own and are never renamed or deleted. Every change
is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from gmail_mcp.actions.account import Account
from gmail_mcp.errors import InvalidParamsError

if TYPE_CHECKING:
    from gmail_mcp.backend import MailBackend
    from gmail_mcp.models import Label

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Made:
    """A label created or renamed, with the other labels that changed with it (parents created,
    children renamed), by name."""

    label: Label
    also: tuple[str, ...] = ()


def create(
    account: Account,
    tool: str,
    name: str,
    *,
    text_color: str | None = None,
    background_color: str | None = None,
) -> Made:
    """A new user label; for "A/B", "A" too when it is missing.

    Raises:
        InvalidParamsError: a bad or taken name, a system label's name, or only one colour given.
    """
    name = clean_name(name)
    if (text_color is None) != (background_color is None):
        raise InvalidParamsError("Give both text_color and background_color, or neither.")
    backend = account.backend()
    labels = backend.list_labels()
    _refuse_taken(name, labels)
    parents = _missing_parents(name, labels)
    for parent in parents:
        account.audited(tool, partial(backend.create_label, parent), created_label=parent)
    label = account.audited(
        tool,
        lambda: backend.create_label(name, text_color=text_color, background_color=background_color),
        created_label=name,
    )
    return Made(label, tuple(parents))


def rename(account: Account, tool: str, label: str, new_name: str) -> Made:
    """Rename a user label, and its children with it ("A/x" becomes "B/x" when "A" becomes "B").

    Raises:
        InvalidParamsError: a system label, a bad name, or a name another label has.
        NotFoundError: no such label.
    """
    new_name = clean_name(new_name)
    backend = account.backend()
    found = user_label(backend, label)
    labels = backend.list_labels()
    if new_name == found.name:
        raise InvalidParamsError(f"The label is already called {new_name!r}.", label_id=found.id)
    children = [x for x in labels if x.type == "user" and x.name.startswith(found.name + "/")]
    renamed = {x.id: new_name + x.name[len(found.name) :] for x in children}
    moving = {found.id, *renamed}
    for target in (new_name, *renamed.values()):
        _refuse_taken(target, [x for x in labels if x.id not in moving])
    parents = _missing_parents(new_name, labels)
    for parent in parents:
        account.audited(tool, partial(backend.create_label, parent), created_label=parent)
    updated = account.audited(
        tool,
        lambda: backend.update_label(found.id, name=new_name),
        label_id=found.id,
        renamed_to=new_name,
    )
    for child_id, child_name in renamed.items():
        account.audited(
            tool,
            partial(backend.update_label, child_id, name=child_name),
            label_id=child_id,
            renamed_to=child_name,
        )
    return Made(updated, (*parents, *renamed.values()))


def delete(account: Account, tool: str, label: str) -> tuple[Label, int | None]:
    """Delete a user label (emails keep their other labels; nested labels stay). Returns the label
    with how many emails carried it.

    Raises:
        InvalidParamsError: a system label.
        NotFoundError: no such label.
    """
    backend = account.backend()
    found = user_label(backend, label)
    counted = backend.get_label(found.id).messages_total
    account.audited(tool, lambda: backend.delete_label(found.id), label_id=found.id, label=found.name)
    return found, counted


def user_label(backend: MailBackend, name_or_id: str) -> Label:
    """A user label by name or id.

    Raises:
        InvalidParamsError: it is a system label.
        NotFoundError: no such label.
    """
    found = backend.resolve_label(name_or_id)
    if found.type == "system":
        raise InvalidParamsError(
            f"{found.id} is a system label: Gmail's own, it cannot be renamed or deleted.", label_id=found.id
        )
    return found


def clean_name(name: str) -> str:
    """A label name as Gmail keeps it (trimmed), refused when it cannot be one.

    Raises:
        InvalidParamsError: empty, an empty level ("A//B", "/A"), or a control character.
    """
    text = name.strip()
    if not text or _CONTROL.search(text) or any(not part.strip() for part in text.split("/")):
        raise InvalidParamsError(
            f"{name!r} cannot be a label name: it needs text, no line breaks or control characters, and "
            "no empty level between slashes (nested labels are written Parent/Child).",
            label=name,
        )
    return text


def _refuse_taken(name: str, labels: list[Label]) -> None:
    for label in labels:
        if name.casefold() in (label.name.casefold(), label.id.casefold()):
            what = "a system label" if label.type == "system" else "taken by another label"
            raise InvalidParamsError(f"The name {name!r} is {what}; choose another.", label_id=label.id)


def _missing_parents(name: str, labels: list[Label]) -> list[str]:
    have = {label.name.casefold() for label in labels}
    parts = name.split("/")
    parents = ["/".join(parts[:i]) for i in range(1, len(parts))]
    return [p for p in parents if p.casefold() not in have]

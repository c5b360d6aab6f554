"""Handlers for users.settings.filters (see `api_messages` for the contract, `filters` for the rules)."""

from __future__ import annotations

from gmail_mcp.sandbox.api_messages import Handler, Result
from gmail_mcp.sandbox.call import Call


def filters_list(call: Call) -> Result:
    """users.settings.filters.list: every filter, oldest first; no `filter` key when there is none."""
    found = call.mailbox.filters.all()
    return {"filter": [f.resource() for f in found]} if found else {}


def filters_get(call: Call) -> Result:
    """users.settings.filters.get."""
    return call.mailbox.filters.get(call.params["id"]).resource()


def filters_create(call: Call) -> Result:
    """users.settings.filters.create: the filter as stored, with its new id."""
    return call.mailbox.filters.create(call.body, call.mailbox.labels).resource()


def filters_delete(call: Call) -> Result:
    """users.settings.filters.delete: immediate and permanent."""
    call.mailbox.filters.delete(call.params["id"])
    return None


HANDLERS: dict[str, Handler] = {
    "gmail.users.settings.filters.list": filters_list,
    "gmail.users.settings.filters.get": filters_get,
    "gmail.users.settings.filters.create": filters_create,
    "gmail.users.settings.filters.delete": filters_delete,
}

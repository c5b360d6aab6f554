"""Triage tools: change many emails at once, and what changed since the last look."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from gmail_mcp.backend import Feature
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.params import Changes, Dry, Matching, SomeLabels
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import BulkResult, ChangesResult
from gmail_mcp.surface.toolkit import Hints
from gmail_mcp.surface.tools.core import CHANGES, READS

if TYPE_CHECKING:
    from gmail_mcp.actions import bulk, changes
else:  # loaded when their tool is first built or called
    bulk = lazy_module("gmail_mcp.actions.bulk")
    changes = lazy_module("gmail_mcp.actions.changes")

TOOLS = Registry(enhanced=True)


@TOOLS.tool(
    Tool.MODIFY_EMAILS,
    "Change many emails",
    # Trash and label removal are destructive (Trash keeps mail 30 days); repeating a change alters
    # nothing already changed, and past the cap reaches only what still matches.
    Hints(read_only=False, destructive=True),
    CHANGES,
    "Archive, mark read, star, label or trash many emails (up to 1,000 a call).",
    presets=[Preset.TRIAGE],
)
def modify_emails(
    app: App,
    actions: Annotated[list[bulk.Verb] | None, Field(description="What to do to each")] = None,
    add_labels: SomeLabels = None,
    remove_labels: SomeLabels = None,
    query: Matching = None,
    ids: Annotated[
        list[str] | None, Field(max_length=bulk.MAX_PER_CALL, description="Email ids (or give a query)")
    ] = None,
    dry_run: Dry = False,
) -> BulkResult:
    change, outcome = bulk.modify(
        app.account,
        Tool.MODIFY_EMAILS,
        actions or (),
        add_labels or (),
        remove_labels or (),
        query=query,
        ids=ids,
        dry_run=dry_run,
    )
    names = app.account.label_names.of(i for m in outcome.emails for i in m.label_ids)
    return views.bulk_result(change, outcome, names, dry_run=dry_run, by_query=query is not None)


@TOOLS.tool(
    Tool.LIST_CHANGES,
    "What's new",
    # Reads the mailbox; moves only this server's own checkpoint, so a second call reports less.
    Hints(read_only=True, idempotent=False),
    READS,
    "New emails, label changes and deletions since the last call.",
    needs=[Feature.HISTORY],
    presets=[Preset.TRIAGE],
)
def list_changes(app: App, max_results: Changes = 20) -> ChangesResult:
    found = changes.look(app.account, limit=max_results, clock=app.clock)
    names = app.account.label_names.of(
        [i for m in found.new for i in m.label_ids]
        + [i for c in found.changed for i in (*c.added, *c.removed)]
    )
    return views.changes_result(found, names)

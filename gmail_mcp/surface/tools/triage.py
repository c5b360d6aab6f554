"""Triage tools: change many emails at once, and what changed since the last look."""

from typing import Annotated

from pydantic import Field

from gmail_mcp.actions import bulk, changes
from gmail_mcp.backend import Feature
from gmail_mcp.config import DEFAULT_MAX_RESULTS_CAP
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import BulkResult, ChangesResult
from gmail_mcp.surface.toolkit import Hints
from gmail_mcp.surface.tools.core import CHANGES, READS

TOOLS = Registry(enhanced=True)


@TOOLS.tool(
    Tool.MODIFY_EMAILS,
    "Change many emails",
    # Trash and label removal are destructive (Trash keeps mail 30 days); repeating a change alters
    # nothing already changed, and past the cap reaches only what still matches.
    Hints(read_only=False, destructive=True),
    CHANGES,
    "Archive, mark read, star, label or trash many emails: ids, or every match of a Gmail query. "
    "dry_run: how many and the first 10, nothing changed. At most 1,000 a call: if more, call again "
    "the same way.",
    presets=[Preset.TRIAGE],
)
def modify_emails(
    app: App,
    actions: list[bulk.Verb] | None = None,
    add_labels: list[str] | None = None,
    remove_labels: list[str] | None = None,
    query: str | None = None,
    ids: Annotated[list[str] | None, Field(max_length=bulk.MAX_PER_CALL)] = None,
    dry_run: bool = False,
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
    return views.bulk_result(change, outcome, dry_run=dry_run, by_query=query is not None)


@TOOLS.tool(
    Tool.LIST_CHANGES,
    "What's new",
    # Reads the mailbox; moves only this server's own checkpoint, so a second call reports less.
    Hints(read_only=True, idempotent=False),
    READS,
    "What changed since the last call: new emails, label changes, deletions. The first call only "
    "starts the record.",
    needs=[Feature.HISTORY],
    presets=[Preset.TRIAGE],
)
def list_changes(
    app: App, max_results: Annotated[int, Field(ge=1, le=DEFAULT_MAX_RESULTS_CAP)] = 20
) -> ChangesResult:
    found = changes.look(app.account, limit=max_results, clock=app.clock)
    names = {label.id: label.name for label in app.backend().list_labels()} if found.changed else {}
    return views.changes_result(found, names)

"""Organising tools: labels themselves (create, rename, delete) and Gmail's filters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from gmail_mcp.backend import Feature
from gmail_mcp.common.lazy import lazy_module
from gmail_mcp.gmail import scopes
from gmail_mcp.models import FilterCriteria
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.params import Color, FilterId, LabelName, LabelRef, SomeLabels
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import Done, FilterList, FilterResult, LabelResult
from gmail_mcp.surface.toolkit import READ, Hints
from gmail_mcp.surface.tools.core import READS

if TYPE_CHECKING:
    from gmail_mcp.actions import filters, labels
else:  # loaded when their tool is first built or called
    filters = lazy_module("gmail_mcp.actions.filters")
    labels = lazy_module("gmail_mcp.actions.labels")

TOOLS = Registry(enhanced=True)
LABELS = (scopes.LABELS,)
# Only gmail.settings.basic creates or deletes filters; applying one to existing mail changes labels.
FILTERS = (scopes.SETTINGS_BASIC, scopes.MODIFY)


@TOOLS.tool(
    Tool.CREATE_LABEL,
    "Create label",
    Hints(read_only=False, idempotent=False),
    LABELS,
    "Create a label and any missing parent. Colours: both or neither.",
    presets=[Preset.TRIAGE, Preset.ADMIN],
)
def create_label(
    app: App, name: LabelName, text_color: Color = None, background_color: Color = None
) -> LabelResult:
    made = labels.create(
        app.account, Tool.CREATE_LABEL, name, text_color=text_color, background_color=background_color
    )
    return views.label_result("Label created.", made.label, made.also)


@TOOLS.tool(
    Tool.RENAME_LABEL,
    "Rename label",
    Hints(read_only=False, destructive=True),
    LABELS,
    "Rename a user label; its nested labels follow.",
    presets=[Preset.ADMIN],
)
def rename_label(app: App, label: LabelRef, new_name: LabelName) -> LabelResult:
    made = labels.rename(app.account, Tool.RENAME_LABEL, label, new_name)
    return views.label_result("Label renamed.", made.label, made.also)


@TOOLS.tool(
    Tool.DELETE_LABEL,
    "Delete label",
    Hints(read_only=False, destructive=True),
    LABELS,
    "Delete a user label; its emails stay.",
    presets=[Preset.ADMIN],
)
def delete_label(app: App, label: LabelRef) -> LabelResult:
    found, emails = labels.delete(app.account, Tool.DELETE_LABEL, label)
    return views.label_result("Label deleted; its emails keep their other labels.", found, emails=emails)


@TOOLS.tool(
    Tool.LIST_FILTERS,
    "List filters",
    READ,
    READS,
    "Gmail's filters: what each matches and does.",
    needs=[Feature.FILTERS],
    presets=[Preset.ADMIN],
)
def list_filters(app: App) -> FilterList:
    names = {label.id: label.name for label in app.backend().list_labels()}
    return FilterList(filters=[views.filter_item(f, names) for f in app.backend().list_filters()])


@TOOLS.tool(
    Tool.CREATE_FILTER,
    "Create filter",
    Hints(read_only=False, destructive=True, idempotent=False),
    FILTERS,
    "Filter new mail: Gmail's criteria, labels to add or remove (remove INBOX: skip inbox, UNREAD: "
    "mark read; add TRASH: delete).",
    needs=[Feature.FILTERS],
    presets=[Preset.ADMIN],
)
def create_filter(
    app: App,
    sender: Annotated[str | None, Field(description="From: address or name")] = None,
    to: Annotated[str | None, Field(description="To: address or name")] = None,
    subject: Annotated[str | None, Field(description="Words in the subject")] = None,
    query: Annotated[str | None, Field(description="Gmail search it matches")] = None,
    negated_query: Annotated[str | None, Field(description="Gmail search it must not match")] = None,
    has_attachment: Annotated[bool, Field(description="Only mail with attachments")] = False,
    size: Annotated[int | None, Field(ge=0, description="Bytes, with size_comparison")] = None,
    size_comparison: Annotated[Literal["smaller", "larger"] | None, Field(description="Than size")] = None,
    add_labels: SomeLabels = None,
    remove_labels: SomeLabels = None,
    apply_to_existing: Annotated[bool, Field(description="Also file the mail it matches now")] = False,
) -> FilterResult:
    criteria = FilterCriteria(
        sender=(sender or "").strip(),
        to=(to or "").strip(),
        subject=(subject or "").strip(),
        query=(query or "").strip(),
        negated_query=(negated_query or "").strip(),
        has_attachment=has_attachment,
        size=size,
        size_comparison=size_comparison,
    )
    made = filters.create(
        app.account,
        Tool.CREATE_FILTER,
        criteria,
        add_labels or (),
        remove_labels or (),
        apply_to_existing=apply_to_existing,
    )
    return views.filter_result(made)


@TOOLS.tool(
    Tool.DELETE_FILTER,
    "Delete filter",
    Hints(read_only=False, destructive=True),
    (scopes.SETTINGS_BASIC,),
    "Delete a filter (mail it sorted stays).",
    needs=[Feature.FILTERS],
    presets=[Preset.ADMIN],
)
def delete_filter(app: App, filter_id: FilterId) -> Done:
    filters.delete(app.account, Tool.DELETE_FILTER, filter_id)
    return Done(message=f"Filter {filter_id} deleted.")

"""Organising tools: labels themselves (create, rename, delete) and Gmail's filters."""

from typing import Annotated, Literal

from pydantic import Field

from gmail_mcp.actions import filters, labels
from gmail_mcp.backend import Feature
from gmail_mcp.gmail import scopes
from gmail_mcp.models import FilterCriteria
from gmail_mcp.surface import views
from gmail_mcp.surface.app import App
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import Done, FilterList, FilterResult, LabelResult
from gmail_mcp.surface.toolkit import READ, Hints
from gmail_mcp.surface.tools.core import READS

TOOLS = Registry(enhanced=True)
LABELS = (scopes.LABELS,)
# Only gmail.settings.basic creates or deletes filters; applying one to existing mail changes labels.
FILTERS = (scopes.SETTINGS_BASIC, scopes.MODIFY)
Color = Annotated[str | None, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


@TOOLS.tool(
    Tool.CREATE_LABEL,
    "Create label",
    Hints(read_only=False, idempotent=False),
    LABELS,
    "Create a label; Parent/Child nests it (a missing parent is created). Colours: both, from "
    "Gmail's palette (e.g. #ffffff on #4a86e8).",
    presets=[Preset.TRIAGE, Preset.ADMIN],
)
def create_label(
    app: App, name: str, text_color: Color = None, background_color: Color = None
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
    "Rename a user label (by name or id); its nested labels follow.",
    presets=[Preset.ADMIN],
)
def rename_label(app: App, label: str, new_name: str) -> LabelResult:
    made = labels.rename(app.account, Tool.RENAME_LABEL, label, new_name)
    return views.label_result("Label renamed.", made.label, made.also)


@TOOLS.tool(
    Tool.DELETE_LABEL,
    "Delete label",
    Hints(read_only=False, destructive=True),
    LABELS,
    "Delete a user label (by name or id). Its emails stay, without it.",
    presets=[Preset.ADMIN],
)
def delete_label(app: App, label: str) -> LabelResult:
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
    "Filter new mail: Gmail's criteria (sender: from) and labels to add/remove by name (remove "
    "INBOX: skip inbox, UNREAD: mark read; add TRASH: delete). apply_to_existing: also to current mail.",
    needs=[Feature.FILTERS],
    presets=[Preset.ADMIN],
)
def create_filter(
    app: App,
    sender: str | None = None,
    to: str | None = None,
    subject: str | None = None,
    query: str | None = None,
    negated_query: str | None = None,
    has_attachment: bool = False,
    size: Annotated[int | None, Field(ge=0)] = None,
    size_comparison: Literal["smaller", "larger"] | None = None,
    add_labels: list[str] | None = None,
    remove_labels: list[str] | None = None,
    apply_to_existing: bool = False,
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
    "Delete a filter by id (mail it already sorted stays as it is).",
    needs=[Feature.FILTERS],
    presets=[Preset.ADMIN],
)
def delete_filter(app: App, filter_id: str) -> Done:
    filters.delete(app.account, Tool.DELETE_FILTER, filter_id)
    return Done(message=f"Filter {filter_id} deleted.")

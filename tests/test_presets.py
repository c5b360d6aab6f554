"""--tools presets: triage, compose and admin, declared on the registry entries."""

from __future__ import annotations

import pytest

from gmail_mcp import cli
from gmail_mcp.errors import InvalidParamsError
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.registry import all_specs, expand_tools, preset_tools
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

TRIAGE = {
    "get-unread-emails",
    "list-emails",
    "search-emails",
    "read-email",
    "read-thread",
    "read-attachment",
    "trash-email",
    "mark-email-as-read",
    "modify-emails",
    "list-labels",
    "manage-labels",
    "create-label",
    "list-changes",
}
COMPOSE = {
    "send-email",
    "send-email-with-attachment",
    "create-draft",
    "list-drafts",
    "update-draft",
    "send-draft",
    "delete-draft",
    "forward-email",
}
ADMIN = {
    "list-labels",
    "create-label",
    "rename-label",
    "delete-label",
    "list-filters",
    "create-filter",
    "delete-filter",
}
# In every preset, shown only when several accounts are served (then every tool takes `account`).
ACCOUNTS = {"list-accounts"}


def test_each_preset_is_the_tools_its_entries_name() -> None:
    assert {p: preset_tools(p) for p in Preset} == {
        Preset.TRIAGE: TRIAGE | ACCOUNTS,
        Preset.COMPOSE: COMPOSE | ACCOUNTS,
        Preset.ADMIN: ADMIN | ACCOUNTS,
    }
    assert all(s.presets <= set(Preset) for s in all_specs())


def test_presets_and_tool_names_mix_and_unknown_names_are_refused() -> None:
    assert expand_tools(["admin", "read-email"]) == ADMIN | ACCOUNTS | {"read-email"}
    with pytest.raises(InvalidParamsError, match="presets: triage, compose, admin") as info:
        expand_tools(["triage", "sort-everything"])
    assert info.value.details["unknown"] == ["sort-everything"]


@pytest.mark.parametrize(("preset", "tools"), [("triage", TRIAGE), ("compose", COMPOSE), ("admin", ADMIN)])
async def test_serving_a_preset_lists_exactly_its_tools(
    harness: Harness, preset: str, tools: set[str]
) -> None:
    async with harness.client(enhanced=True, tools=frozenset({preset})) as client:
        listed = {t.name for t in (await client.client.list_tools()).tools}
    assert listed == tools


async def test_in_core_mode_a_preset_brings_only_the_core_tools_it_has(harness: Harness) -> None:
    async with harness.client(tools=frozenset({"triage", "send-email"})) as client:
        listed = {t.name for t in (await client.client.list_tools()).tools}
    assert listed == {
        "get-unread-emails",
        "search-emails",
        "read-email",
        "trash-email",
        "mark-email-as-read",
        "send-email",
    }


def test_serve_refuses_an_unknown_tool_naming_the_presets(harness: Harness) -> None:
    with pytest.raises(InvalidParamsError, match="presets: triage, compose, admin"):
        harness.server(enhanced=True, tools=frozenset({"triage", "sort-everything"}))


def test_auth_refuses_an_unknown_tool_naming_the_presets() -> None:
    with pytest.raises(SystemExit, match=r"Unknown tools: sort-everything\..*presets: triage"):
        cli.main(["auth", "--tools", "triage,sort-everything"])

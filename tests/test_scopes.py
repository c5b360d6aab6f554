"""The scope table agrees with Gmail's discovery document, and scope sets are minimal."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from gmail_mcp.gmail import scopes


def discovery_scopes() -> dict[str, set[str]]:
    text = (resources.files("googleapiclient") / "discovery_cache/documents/gmail.v1.json").read_text("utf-8")
    found: dict[str, set[str]] = {}

    def walk(resource: dict) -> None:
        for method in resource.get("methods", {}).values():
            found[method["id"]] = set(method.get("scopes", []))
        for child in resource.get("resources", {}).values():
            walk(child)

    walk(json.loads(text))
    return found


@pytest.mark.parametrize("method", sorted(scopes.METHOD_SCOPE))
def test_each_methods_scope_is_one_gmail_accepts(method: str) -> None:
    assert scopes.METHOD_SCOPE[method] in discovery_scopes()[method]


@pytest.mark.parametrize(
    ("needed", "least"),
    [
        ({scopes.READONLY}, [scopes.READONLY]),
        ({scopes.READONLY, scopes.SEND}, [scopes.READONLY, scopes.SEND]),
        ({scopes.READONLY, scopes.MODIFY, scopes.SEND, scopes.COMPOSE}, [scopes.MODIFY]),
        ({scopes.COMPOSE, scopes.SEND}, [scopes.COMPOSE]),
        ({scopes.LABELS, scopes.MODIFY}, [scopes.MODIFY]),
    ],
)
def test_least_covering_drops_scopes_a_broader_one_includes(needed: set[str], least: list[str]) -> None:
    assert scopes.least_covering(needed) == least


def test_modify_grants_reading_but_not_full_access() -> None:
    granted = scopes.expand([scopes.MODIFY])
    assert scopes.READONLY in granted and scopes.SEND in granted
    assert scopes.FULL not in granted


def test_tools_a_grant_does_not_cover_are_named_with_what_they_lack() -> None:
    from gmail_mcp.gmail.scopes import COMPOSE, LABELS, MODIFY, READONLY, SEND, unusable

    needs = {"read": {READONLY}, "send": {SEND, READONLY}, "draft": {COMPOSE, READONLY}, "label": {LABELS}}
    assert unusable(needs, [READONLY]) == {"send": {SEND}, "draft": {COMPOSE}, "label": {LABELS}}
    assert unusable(needs, [COMPOSE]) == {
        "read": {READONLY},
        "send": {READONLY},
        "draft": {READONLY},
        "label": {LABELS},
    }
    assert unusable(needs, [MODIFY]) == {}

"""Which tools a backend offers: derived once from the features each tool needs (no server needed)."""

from __future__ import annotations

import pytest

from gmail_mcp.backend import ALL_FEATURES, Feature
from gmail_mcp.imap import features
from gmail_mcp.surface.registry import all_specs
from tests.mcp_harness import Harness
from tests.test_server import ENHANCED_TOOLS

pytestmark = pytest.mark.anyio


def test_only_open_email_needs_gmails_web_pages_and_only_gmail_api_tools_its_history_and_filters() -> None:
    assert {spec.name.value: spec.needs for spec in all_specs() if spec.needs} == {
        "open-email": frozenset({Feature.WEB_URL}),
        "list-changes": frozenset({Feature.HISTORY}),
        "list-filters": frozenset({Feature.FILTERS}),
        "create-filter": frozenset({Feature.FILTERS}),
        "delete-filter": frozenset({Feature.FILTERS}),
    }


def test_imap_has_web_pages_only_on_gmails_host() -> None:
    assert features("imap.gmail.com") == features("IMAP.googlemail.com.") == frozenset({Feature.WEB_URL})
    assert features("mail.example.org") == features("127.0.0.1") == frozenset()
    assert features("imap.gmail.com") <= ALL_FEATURES


async def test_a_backend_without_a_feature_does_not_offer_the_tools_that_need_it(harness: Harness) -> None:
    async with harness.client(enhanced=True, features=frozenset()) as client:
        without = {t.name for t in (await client.client.list_tools()).tools}
    async with harness.client(enhanced=True, features=None) as client:
        everything = {t.name for t in (await client.client.list_tools()).tools}
    assert without == ENHANCED_TOOLS - {
        "open-email",
        "list-changes",
        "list-filters",
        "create-filter",
        "delete-filter",
    }
    assert everything == ENHANCED_TOOLS

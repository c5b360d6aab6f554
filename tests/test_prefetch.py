"""Paging through a long list: the next page's listing is fetched while this page's details load."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gmail_mcp.gmail.prefetch import FetchedAhead
from tests.helpers import make_client, reset_stats


def inline(run: Callable[[], None]) -> None:
    """Fetch ahead on the caller's thread, so each page's requests can be counted exactly."""
    run()


@pytest.fixture
def client(sandbox: Any, fake_clock: Any) -> Any:
    return make_client(sandbox, fake_clock, fetched_ahead=FetchedAhead(clock=fake_clock, spawn=inline))


def page_by_page(sandbox: Any, client: Any, size: int) -> tuple[list[int], list[str]]:
    """Requests each page cost, and every id listed, paging through all mail."""
    costs, ids, token = [], [], None
    while True:
        reset_stats(sandbox)
        page = client.list_messages("in:anywhere", max_results=size, page_token=token)
        costs.append(sandbox.stats()["requests"])
        ids += [m.id for m in page.messages]
        token = page.next_page_token
        if not token:
            return costs, ids


def test_from_the_second_page_on_the_next_listing_is_fetched_ahead(sandbox: Any, client: Any) -> None:
    costs, ids = page_by_page(sandbox, client, 20)
    everything = [
        m.id for m in sorted(sandbox.mailbox.all_messages(), key=lambda m: m.sort_key(), reverse=True)
    ]
    assert ids == everything  # the same pages, in order, nothing skipped or repeated
    # Page 1: list + batch (a first page never fetches ahead: most searches stop there). Page 2:
    # list + batch + the listing of page 3 (fetched alongside). Page 3: batch + the listing of
    # page 4. Page 4: its batch alone.
    assert len(everything) == 68 and costs == [2, 3, 2, 1]


def test_a_listing_fetched_ahead_is_used_once_and_only_briefly(
    sandbox: Any, client: Any, fake_clock: Any
) -> None:
    first = client.list_messages("in:anywhere", max_results=20)
    second = client.list_messages("in:anywhere", max_results=20, page_token=first.next_page_token)
    fake_clock.advance(31)  # kept for 30 s
    reset_stats(sandbox)
    third = client.list_messages("in:anywhere", max_results=20, page_token=second.next_page_token)
    assert sandbox.stats()["by_method"]["gmail.users.messages.list"] == 2  # its own, and page 4's
    reset_stats(sandbox)
    again = client.list_messages("in:anywhere", max_results=20, page_token=second.next_page_token)
    assert sandbox.stats()["by_method"]["gmail.users.messages.list"] == 1  # not from the cache twice
    assert [m.id for m in again.messages] == [m.id for m in third.messages]


def test_a_listing_fetched_ahead_for_another_query_or_size_is_not_used(sandbox: Any, client: Any) -> None:
    first = client.list_messages("in:anywhere", max_results=20)
    second = client.list_messages("in:anywhere", max_results=20, page_token=first.next_page_token)
    reset_stats(sandbox)
    client.list_messages("in:anywhere", max_results=10, page_token=second.next_page_token)
    assert sandbox.stats()["by_method"]["gmail.users.messages.list"] == 2


def test_a_failed_fetch_ahead_leaves_the_call_to_fetch_for_itself(fake_clock: Any) -> None:
    ahead = FetchedAhead(clock=fake_clock, spawn=inline)

    def refused() -> dict[str, Any]:
        raise RuntimeError("Gmail refused")

    ahead.fetch("page 3", refused)
    assert ahead.take("page 3") is None
    ahead.fetch("page 3", lambda: {"messages": []})
    assert ahead.take("page 3") == {"messages": []}


def test_at_most_four_answers_are_fetched_ahead_at_once(fake_clock: Any) -> None:
    started: list[Callable[[], None]] = []
    ahead = FetchedAhead(clock=fake_clock, spawn=started.append)
    for page in range(6):
        ahead.fetch(page, lambda: {})
    assert len(started) == 4


def test_fetching_ahead_on_a_background_thread_gives_the_same_pages(sandbox: Any, fake_clock: Any) -> None:
    background = make_client(sandbox, fake_clock)
    inline_client = make_client(
        sandbox, fake_clock, fetched_ahead=FetchedAhead(clock=fake_clock, spawn=inline)
    )
    assert page_by_page(sandbox, background, 20)[1] == page_by_page(sandbox, inline_client, 20)[1]

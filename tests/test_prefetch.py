"""Paging through a long list: the next page's listing is fetched while this page's details load."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gmail_mcp.gmail.prefetch import FetchedAhead
from gmail_mcp.sandbox import SandboxServer
from gmail_mcp.sandbox.behaviour import Behaviour
from tests.helpers import make_client, reset_stats


def inline(run: Callable[[], None]) -> None:
    """Fetch ahead on the caller's thread, so each page's requests can be counted exactly."""
    run()


@pytest.fixture
def sandbox(mailbox: Any, fake_clock: Any) -> Iterator[SandboxServer]:
    # Gmail working on 50 calls of the user at once (the benchmark's setting): a page of 20 details
    # leaves room for the listing fetched alongside (see the last tests for a full batch).
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(max_concurrent=50)) as server:
        yield server


@pytest.fixture
def client(sandbox: Any, fake_clock: Any) -> Any:
    client = make_client(sandbox, fake_clock, fetched_ahead=FetchedAhead(clock=fake_clock, spawn=inline))
    client.list_messages("in:anywhere", max_results=50)  # batches grow past a page of 20
    return client


def page_by_page(sandbox: Any, client: Any, size: int) -> tuple[list[int], list[str]]:
    """Listing calls each page cost (its details' batches apart), and every id listed, paging
    through all mail."""
    costs, ids, token = [], [], None
    while True:
        reset_stats(sandbox)
        page = client.list_messages("in:anywhere", max_results=size, page_token=token)
        costs.append(sandbox.stats()["by_method"].get("gmail.users.messages.list", 0))
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
    # Page 1: its listing (a first page never fetches ahead: most searches stop there). Page 2: its
    # listing and page 3's (fetched alongside its details). Page 3: page 4's listing only. Page 4:
    # no listing at all, only its details.
    assert len(everything) == 68 and costs == [1, 2, 1, 0]


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
    for warming in (background, inline_client):
        warming.list_messages("in:anywhere", max_results=50)
    assert page_by_page(sandbox, background, 20)[1] == page_by_page(sandbox, inline_client, 20)[1]


def paged_on_a_roomy_sandbox(
    sandbox_factory: Any, fake_clock: Any, mailbox: Any, size: int
) -> tuple[list[Callable[[], None]], dict[str, Any]]:
    """Listings fetched ahead (held, as if still on their way to Gmail) and the stats of page 2 of
    `size`, on a sandbox working on 50 calls at once, once batches have grown to 50."""
    for n in range(40):  # 108 messages: page 2 has a page after it for any size from 37 on
        mailbox.insert_raw(f"From: a@example.com\r\nSubject: filler {n}\r\n\r\nbody\r\n".encode())
    held: list[Callable[[], None]] = []
    roomy = sandbox_factory(behaviour=Behaviour(max_concurrent=50))
    client = make_client(roomy, fake_clock, fetched_ahead=FetchedAhead(clock=fake_clock, spawn=held.append))
    client.list_labels()  # known already: a first listing would fetch the label list ahead too
    for _ in range(2):  # batches grow to 50
        first = client.list_messages("in:anywhere", max_results=size)
    reset_stats(roomy)
    client.list_messages("in:anywhere", max_results=size, page_token=first.next_page_token)
    return held, roomy.stats()


def test_the_listing_fetched_ahead_and_a_page_of_details_fit_gmails_cap_together(
    sandbox_factory: Any, fake_clock: Any, mailbox: Any
) -> None:
    held, stats = paged_on_a_roomy_sandbox(sandbox_factory, fake_clock, mailbox, 49)
    assert len(held) == 1  # page 3's listing, fetched alongside page 2's details
    assert (stats["batch_requests"], stats["batch_parts"], stats["concurrency_limited"]) == (1, 49, 0)


def test_a_page_that_fills_a_whole_batch_fetches_nothing_ahead(
    sandbox_factory: Any, fake_clock: Any, mailbox: Any
) -> None:
    # The listing would be the 51st call in progress: Gmail would refuse a part, costing a request.
    held, stats = paged_on_a_roomy_sandbox(sandbox_factory, fake_clock, mailbox, 50)
    assert held == []
    assert (stats["requests"], stats["batch_parts"], stats["concurrency_limited"]) == (2, 50, 0)


# -- the label list, fetched beside a first listing ----------------------------------------------


def test_a_first_listing_asks_for_the_label_list_beside_its_own(sandbox: Any, fake_clock: Any) -> None:
    seen: list[int] = []  # how many requests Gmail had had when each fetch ahead started

    def counted(run: Callable[[], None]) -> None:
        seen.append(sandbox.stats()["requests"])
        run()

    client = make_client(sandbox, fake_clock, fetched_ahead=FetchedAhead(clock=fake_clock, spawn=counted))
    reset_stats(sandbox)
    client.list_messages("in:anywhere", max_results=20)
    assert seen == [0]  # started before the listing went out, not after the details came back
    assert {label.name for label in client.list_labels()} >= {"Travel Plans", "INBOX"}
    client.list_messages("in:inbox", max_results=5)  # the list is known now: not asked again
    assert seen == [0] and sandbox.stats()["by_method"]["gmail.users.labels.list"] == 1


def test_a_label_list_fetched_ahead_is_not_used_after_a_label_change(sandbox: Any, fake_clock: Any) -> None:
    clients: list[Any] = []

    def fetched_then_changed(run: Callable[[], None]) -> None:
        run()  # the label list arrives...
        clients[0].create_label("Made meanwhile")  # ...and another call changes the labels before it is read

    clients.append(
        make_client(
            sandbox, fake_clock, fetched_ahead=FetchedAhead(clock=fake_clock, spawn=fetched_then_changed)
        )
    )
    clients[0].list_messages("in:anywhere", max_results=5)
    assert "Made meanwhile" in {label.name for label in clients[0].list_labels()}

"""How big each HTTP batch is: adapted to Gmail's per-user concurrency cap (see gmail/batching.py)."""

from __future__ import annotations

from gmail_mcp.gmail.batching import BatchSizer


def sizes_under_cap(cap: int, batches: int, sizer: BatchSizer | None = None) -> list[int]:
    """The size of each of `batches` full batches sent against a cap of `cap` concurrent calls."""
    sizer = sizer or BatchSizer()
    seen = []
    for _ in range(batches):
        size = sizer.size
        seen.append(size)
        sizer.record(size, max(0, size - cap))
    return seen


def test_batches_start_at_10_and_grow_to_twice_what_went_through_while_nothing_is_refused() -> None:
    assert sizes_under_cap(100, 5) == [10, 20, 40, 50, 50]


def test_a_refused_batch_shrinks_to_what_went_through_and_stays_there() -> None:
    assert sizes_under_cap(5, 6) == [10, 5, 5, 5, 5, 5]
    assert sizes_under_cap(30, 6) == [10, 20, 40, 30, 30, 30]


def test_after_a_run_of_clean_batches_a_slightly_larger_one_probes_the_cap() -> None:
    # Eight clean batches at 8, then 10 (8 + a quarter): refused, back to 8.
    seen = sizes_under_cap(8, 20)
    assert seen[:11] == [10] + [8] * 8 + [10, 8]


def test_a_cap_that_was_raised_is_found_again_by_probing() -> None:
    sizer = BatchSizer()
    sizes_under_cap(8, 2, sizer)
    assert sizes_under_cap(50, 18, sizer)[-1] > 8


def test_a_batch_nothing_got_through_halves_the_size() -> None:
    sizer = BatchSizer()
    sizer.record(10, 10)  # every slot held by other clients
    assert sizer.size == 5
    sizer.record(5, 5)
    sizer.record(2, 2)
    sizer.record(1, 1)
    assert sizer.size == 1


def test_a_short_clean_batch_proves_only_its_own_size() -> None:
    sizer = BatchSizer()
    sizer.record(3, 0)
    assert sizer.size == 10
    sizer.record(8, 0)
    assert sizer.size == 16

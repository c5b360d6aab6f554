"""The GmailClient methods the breadth tools and the IMAP backend build on, against the sandbox.

No tool calls these yet (bulk triage, undoing a trash, label management), so they are observed at
the client: what the sandbox's mailbox holds afterwards, and what each cost in requests and units.
"""

from __future__ import annotations

from typing import Any

import pytest

from gmail_mcp.errors import InvalidParamsError, NotFoundError
from tests.helpers import inject, make_client, reset_stats


@pytest.fixture
def client(sandbox: Any, fake_clock: Any) -> Any:
    return make_client(sandbox, fake_clock)


def inbox_ids(sandbox: Any, count: int) -> list[str]:
    ids = [m.id for m in sandbox.mailbox.all_messages() if "INBOX" in m.label_ids][:count]
    assert len(ids) == count
    return ids


def test_batch_modify_changes_the_labels_of_every_message_named_in_one_call(
    sandbox: Any, client: Any
) -> None:
    ids = inbox_ids(sandbox, 5)
    reset_stats(sandbox)

    client.batch_modify(ids, add=["STARRED"], remove=["INBOX"])

    stats = sandbox.stats()
    assert stats["by_method"] == {"gmail.users.messages.batchModify": 1}
    assert stats["quota_units"] == 200  # 2026 costs: batchModify is 200 units, however many ids
    for message_id in ids:
        labels = sandbox.mailbox.message(message_id).label_ids
        assert "STARRED" in labels and "INBOX" not in labels


def test_batch_modify_of_more_than_1000_ids_goes_in_calls_of_1000_and_skips_unknown_ids(
    sandbox: Any, client: Any
) -> None:
    # Gmail takes at most 1,000 ids per call and skips ids it does not know, as the sandbox does.
    [known] = inbox_ids(sandbox, 1)
    unknown = [f"{n:016x}" for n in range(1, 1001)]
    reset_stats(sandbox)

    client.batch_modify([*unknown, known], add=["STARRED"])

    assert sandbox.stats()["by_method"] == {"gmail.users.messages.batchModify": 2}
    assert "STARRED" in sandbox.mailbox.message(known).label_ids


def test_untrash_brings_a_trashed_message_back_where_it_was(sandbox: Any, client: Any) -> None:
    [message_id] = inbox_ids(sandbox, 1)
    client.trash_message(message_id)
    assert "TRASH" in sandbox.mailbox.message(message_id).label_ids

    ref = client.untrash_message(message_id)

    assert ref.id == message_id
    labels = sandbox.mailbox.message(message_id).label_ids
    assert "TRASH" not in labels and "INBOX" in labels


def test_untrash_of_a_message_that_does_not_exist_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.untrash_message("0000000000000bad")


def test_a_label_is_created_read_renamed_recoloured_and_deleted(sandbox: Any, client: Any) -> None:
    created = client.create_label("Kept receipts")
    [message_id] = inbox_ids(sandbox, 1)
    client.batch_modify([message_id], add=[created.id])

    got = client.get_label(created.id)
    assert (got.id, got.name, got.type, got.messages_total) == (created.id, "Kept receipts", "user", 1)

    renamed = client.update_label(created.id, name="Kept receipts 2026")
    recoloured = client.update_label(created.id, text_color="#ffffff", background_color="#16a766")
    assert renamed.name == "Kept receipts 2026"
    assert (recoloured.name, recoloured.text_color, recoloured.background_color) == (
        "Kept receipts 2026",
        "#ffffff",
        "#16a766",
    )
    # The cached label list forgets the old name at once.
    assert client.resolve_label("kept receipts 2026").id == created.id

    client.delete_label(created.id)

    assert created.id not in sandbox.mailbox.message(message_id).label_ids
    with pytest.raises(NotFoundError):
        client.get_label(created.id)
    with pytest.raises(NotFoundError):
        client.delete_label(created.id)  # asked plainly, a label that is not there is not found
    with pytest.raises(NotFoundError):
        client.resolve_label("Kept receipts 2026")


def test_updating_a_label_with_nothing_to_change_is_refused_before_asking_gmail(
    sandbox: Any, client: Any
) -> None:
    created = client.create_label("Unchanged")
    reset_stats(sandbox)

    with pytest.raises(InvalidParamsError, match="Nothing to change"):
        client.update_label(created.id)

    assert sandbox.stats()["requests"] == 0


def test_a_colour_off_gmails_palette_is_refused_and_the_label_keeps_its_own(client: Any) -> None:
    created = client.create_label("Palette", text_color="#000000", background_color="#16a766")

    with pytest.raises(InvalidParamsError):
        client.update_label(created.id, text_color="#123456", background_color="#16a766")

    kept = client.get_label(created.id)
    assert (kept.text_color, kept.background_color) == ("#000000", "#16a766")


def test_a_label_delete_whose_answer_was_lost_succeeds_when_the_retry_finds_it_gone(
    sandbox: Any, client: Any
) -> None:
    created = client.create_label("Lost answer")
    inject(sandbox, status=503, applied=True, method="gmail.users.labels.delete", count=1)

    client.delete_label(created.id)  # deleted, answer lost; the retry's 404 means it is done

    with pytest.raises(NotFoundError):
        client.get_label(created.id)

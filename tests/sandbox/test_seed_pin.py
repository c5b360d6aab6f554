"""The seed mailbox is pinned: any change to a message's bytes, labels or date, to a draft, a label
colour or the owner changes this digest. Change it only on purpose, in a commit that says why."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

import pytest

from gmail_mcp.sandbox.seed import SeedData, seed_data

# digest(seed_data()) of the mailbox as it was when it moved from Python code into data files.
PINNED = "0823855441e6ccab9560a3634a4b10a5e4571201287825061bbbe581a32287a6"


def digest(data: SeedData) -> str:
    """A digest of everything the seed holds; every field and list is length-prefixed, so no two
    different mailboxes give the same byte stream."""
    hasher = hashlib.sha256()

    def put(*fields: bytes | str | int | None) -> None:
        for field in fields:
            chunk = field if isinstance(field, bytes) else repr(field).encode()
            hasher.update(len(chunk).to_bytes(8, "big") + chunk)

    put(data.owner, data.owner_name, len(data.labels), len(data.messages), len(data.drafts))
    for label in data.labels:
        put(label.name, label.text_color, label.background_color)
    for message in data.messages:
        put(message.raw, message.internal_date_ms)
        put(len(message.system_labels), *message.system_labels)
        put(len(message.user_labels), *message.user_labels)
    for draft in data.drafts:
        put(draft)
    return hasher.hexdigest()


def test_the_seed_mailbox_is_the_pinned_one() -> None:
    assert digest(seed_data()) == PINNED


def _first_message(data: SeedData, **changes: object) -> SeedData:
    first = dataclasses.replace(data.messages[0], **changes)
    return dataclasses.replace(data, messages=(first, *data.messages[1:]))


MUTATIONS: dict[str, Callable[[SeedData], SeedData]] = {
    "one byte of a message": lambda d: _first_message(d, raw=d.messages[0].raw[:-1] + b"?"),
    "a message's date by 1 ms": lambda d: _first_message(
        d, internal_date_ms=d.messages[0].internal_date_ms + 1
    ),
    "a system label": lambda d: _first_message(d, system_labels=(*d.messages[0].system_labels, "STARRED")),
    "a user label": lambda d: _first_message(d, user_labels=(*d.messages[0].user_labels, "Family")),
    "a label's colour": lambda d: dataclasses.replace(
        d, labels=(dataclasses.replace(d.labels[0], background_color="#000000"), *d.labels[1:])
    ),
    "a draft": lambda d: dataclasses.replace(d, drafts=d.drafts[1:]),
    "the owner's name": lambda d: dataclasses.replace(d, owner_name="Someone Else"),
    "the order of messages": lambda d: dataclasses.replace(d, messages=(*d.messages[1:], d.messages[0])),
}


@pytest.mark.parametrize("change", list(MUTATIONS))
def test_the_pin_notices_any_change_to_the_seed(change: str) -> None:
    data = seed_data()
    assert digest(MUTATIONS[change](data)) != digest(data)

"""Tools a model uses right the first time: every parameter says what it takes, in few bytes, and
a value outside its bounds is refused naming the bound, never adjusted.

Each numeric parameter is called below, at and above each of its bounds.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from gmail_mcp.sandbox import Mailbox
from gmail_mcp.surface.toolkit import compact_schema
from tests.helpers import reset_stats
from tests.mcp_harness import Harness, StrictClient

pytestmark = pytest.mark.anyio

# The budgets CI holds the tools/list answer to (read when the test runs, not when it is collected).
EXPECTED = Path(__file__).parents[1] / "benchmarks" / "expected.json"


async def listing(harness: Harness, **settings: Any) -> list[dict[str, Any]]:
    async with harness.client(**settings) as client:
        tools = (await client.client.list_tools()).tools
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


@pytest.mark.parametrize("enhanced", [False, True])
async def test_tools_list_stays_within_its_byte_budget(harness: Harness, enhanced: bool) -> None:
    budget = json.loads(EXPECTED.read_text())["budgets"][f"tools/list {'enhanced' if enhanced else 'core'}"]
    tools = await listing(harness, enhanced=enhanced)
    # What the bench measures: the answer as the stdio transport writes it.
    answer = {"jsonrpc": "2.0", "id": 2, "result": {"tools": tools}}
    size = len(json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode())
    assert size <= budget["bytes"]


async def test_every_input_property_says_what_it_takes_and_numbers_carry_their_bounds(
    harness: Harness,
) -> None:
    tools = await listing(harness, enhanced=True)
    described = 0
    for tool in tools:
        for name, schema in tool["inputSchema"]["properties"].items():
            text = schema.get("description", "")
            assert text and text.lower() != name.replace("_", " ").lower(), (tool["name"], name)
            described += 1
            if schema.get("type") == "integer":
                assert "minimum" in schema, (tool["name"], name)
    assert described > 3 * len(tools) > 80  # the sweep saw every tool's parameters


async def test_output_schemas_refuse_an_empty_result(harness: Harness) -> None:
    import jsonschema

    tools = await listing(harness, enhanced=True)
    for tool in tools:
        assert tool["outputSchema"]["required"], tool["name"]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({}, tool["outputSchema"])


async def refused(client: StrictClient, tool: str, arguments: dict[str, Any], bound: str) -> None:
    error = await client.error(tool, arguments)
    assert error["error_code"] == "INVALID_PARAMS", error
    assert bound in error["error_message"], error["error_message"]


LISTS = [
    ("get-unread-emails", "max_results", {}),
    ("search-emails", "max_results", {"query": "in:anywhere"}),
    ("list-emails", "page_size", {"query": "in:anywhere"}),
    ("list-drafts", "max_results", {}),
]


@pytest.mark.parametrize(("tool", "parameter", "base"), LISTS)
async def test_a_page_size_is_from_1_to_50_and_nothing_else(
    harness: Harness, tool: str, parameter: str, base: dict[str, Any]
) -> None:
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        for below in (0, -3):
            await refused(client, tool, {**base, parameter: below}, "greater than or equal to 1")
        await refused(client, tool, {**base, parameter: 51}, "less than or equal to 50")
        assert harness.sandbox.stats()["requests"] == 0  # refused before Gmail was asked
        one = await client.ok(tool, {**base, parameter: 1})
        fifty = await client.ok(tool, {**base, parameter: 50})
    key = "drafts" if tool == "list-drafts" else "emails"
    assert len(one[key]) == 1
    assert 1 < len(fifty[key]) <= 50


async def long_email(client: StrictClient) -> tuple[str, int]:
    """An email of the seeded mailbox whose body is longer than 1,000 characters, and its length."""
    found = (await client.ok("search-emails", {"query": "in:anywhere", "max_results": 50}))["emails"]
    for item in found:
        read = await client.ok("read-email", {"email_id": item["id"], "max_chars": 100_000})
        if len(read["content"]) > 1_000 and read.get("next_offset") is None:
            return item["id"], len(read["content"])
    raise AssertionError("no long email in the seeded mailbox")


async def test_read_email_max_chars_is_from_1000_to_100000(harness: Harness) -> None:
    async with harness.client() as client:
        email_id, length = await long_email(client)
        for below in (0, 999):
            await refused(client, "read-email", {"email_id": email_id, "max_chars": below}, "1000")
        await refused(client, "read-email", {"email_id": email_id, "max_chars": 100_001}, "100000")
        smallest = await client.ok("read-email", {"email_id": email_id, "max_chars": 1_000})
        largest = await client.ok("read-email", {"email_id": email_id, "max_chars": 100_000})
    assert len(smallest["content"]) <= 1_000 and smallest.get("next_offset")
    assert len(largest["content"]) == length and largest.get("next_offset") is None


async def test_read_email_offset_is_within_the_body(harness: Harness) -> None:
    async with harness.client() as client:
        email_id, length = await long_email(client)
        await refused(
            client, "read-email", {"email_id": email_id, "offset": -5}, "greater than or equal to 0"
        )
        for past in (length, length + 1, 10**9):
            error = await client.error("read-email", {"email_id": email_id, "offset": past})
            assert error["error_code"] == "INVALID_PARAMS"
            assert error["error_details"] == {"offset": past, "length": length}
        first = await client.ok("read-email", {"email_id": email_id, "offset": 0})
        last = await client.ok("read-email", {"email_id": email_id, "offset": length - 1})
    assert len(first["content"]) == length
    assert len(last["content"]) == 1 and last.get("next_offset") is None


async def test_read_thread_bounds_start_and_max_chars(harness: Harness, mailbox: Mailbox) -> None:
    longest, _ = Counter(m.thread_id for m in mailbox.all_messages()).most_common(1)[0]
    thread = {"thread_id": longest}
    async with harness.client(enhanced=True) as client:
        whole = await client.ok("read-thread", {**thread, "max_chars": 100_000})
        count = whole["message_count"]
        await refused(client, "read-thread", {**thread, "start": -1}, "greater than or equal to 0")
        for past in (count, count + 5):
            error = await client.error("read-thread", {**thread, "start": past})
            assert error["error_code"] == "INVALID_PARAMS"
            assert error["error_details"] == {"start": past, "message_count": count}
        for below in (0, 999):
            await refused(client, "read-thread", {**thread, "max_chars": below}, "1000")
        await refused(client, "read-thread", {**thread, "max_chars": 100_001}, "100000")
        last = await client.ok("read-thread", {**thread, "start": count - 1})
        small = await client.ok("read-thread", {**thread, "max_chars": 1_000})
    assert count > 1 and len(whole["messages"]) == count
    assert [m["message_id"] for m in last["messages"]] == [whole["messages"][-1]["message_id"]]
    assert sum(len(m["content"]) for m in small["messages"]) <= 1_000 and small.get("next_message_index")


INVOICE = {"email_id": "1a0f6b5ba6000021", "attachment_id": "Cloudnest-INV-2026-1001.pdf"}  # seeded


async def test_read_attachment_bounds_offset_and_max_chars(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        whole = await client.ok("read-attachment", {**INVOICE, "max_chars": 100_000})
        length = whole.get("total_chars")
        await refused(client, "read-attachment", {**INVOICE, "offset": -1}, "greater than or equal to 0")
        for below in (0, 999):
            await refused(client, "read-attachment", {**INVOICE, "max_chars": below}, "1000")
        await refused(client, "read-attachment", {**INVOICE, "max_chars": 100_001}, "100000")
        for past in (length, length + 1):
            error = await client.error("read-attachment", {**INVOICE, "offset": past})
            assert (
                error["error_code"] == "INVALID_PARAMS" and f"{length:,} characters" in error["error_message"]
            )
        smallest = await client.ok("read-attachment", {**INVOICE, "max_chars": 1_000})
        last = await client.ok("read-attachment", {**INVOICE, "offset": length - 1})
    assert whole.get("next_offset") is None and len(whole["content"]) == length
    assert len(smallest["content"]) <= 1_000 and (smallest.get("next_offset") is None) == (length <= 1_000)
    assert len(last["content"]) == 1 and last.get("next_offset") is None


async def test_list_changes_lists_1_to_50(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        for below in (0, -3):
            await refused(client, "list-changes", {"max_results": below}, "greater than or equal to 1")
        await refused(client, "list-changes", {"max_results": 51}, "less than or equal to 50")
        assert harness.sandbox.stats()["requests"] == 0
        for at in (1, 50):
            await client.ok("list-changes", {"max_results": at})


async def test_a_filter_size_is_never_negative(harness: Harness, mailbox: Mailbox) -> None:
    larger = {"size_comparison": "larger", "add_labels": ["STARRED"]}
    async with harness.client(enhanced=True) as client:
        await refused(client, "create-filter", {**larger, "size": -1}, "greater than or equal to 0")
        assert mailbox.filters.all() == []
        await client.ok("create-filter", {**larger, "size": 0})
    assert len(mailbox.filters.all()) == 1


async def test_modify_emails_takes_at_most_1000_ids(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        await refused(
            client,
            "modify-emails",
            {"ids": ["x"] * 1001, "actions": ["star"], "dry_run": True},
            "at most 1000",
        )
        assert harness.sandbox.stats()["requests"] == 0
        some = (await client.ok("search-emails", {"query": "in:anywhere", "max_results": 1}))["emails"][0][
            "id"
        ]
        done = await client.ok("modify-emails", {"ids": [some] * 1000, "actions": ["star"], "dry_run": True})
    assert done["count"] >= 1


async def test_attachment_paths_take_1_to_20_files(harness: Harness, tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    paths = []
    for n in range(21):
        (files / f"f{n}.txt").write_text(f"file {n}")
        paths.append(str(files / f"f{n}.txt"))
    send = {"recipient_id": "a@example.org", "subject": "Files", "message": "Attached."}
    async with harness.client(enhanced=True, attachment_dirs=(files,)) as client:
        await refused(client, "send-email-with-attachment", {**send, "attachment_paths": []}, "at least 1")
        await refused(client, "send-email-with-attachment", {**send, "attachment_paths": paths}, "at most 20")
        await client.ok("send-email-with-attachment", {**send, "attachment_paths": paths[:1]})
        await client.ok("send-email-with-attachment", {**send, "attachment_paths": paths[:20]})
    assert len(harness.sandbox.stats()["outbox"]) == 2


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("read-email", {"email_id": ""}),
        ("trash-email", {"email_id": ""}),
        ("mark-email-as-read", {"email_id": ""}),
        ("open-email", {"email_id": ""}),
        ("read-thread", {"thread_id": ""}),
        ("download-attachment", {"email_id": "", "attachment_id": "a", "save_path": "x"}),
        ("download-attachment", {"email_id": "abc", "attachment_id": "", "save_path": "x"}),
        ("read-attachment", {"email_id": "", "attachment_id": "a"}),
        ("rename-label", {"label": " ", "new_name": "x"}),
        ("delete-label", {"label": ""}),
        ("delete-filter", {"filter_id": ""}),
        ("read-attachment", {"email_id": "abc", "attachment_id": " "}),
        ("manage-labels", {"email_id": "", "add_labels": ["STARRED"]}),
        ("update-draft", {"draft_id": "", "subject": "x"}),
        ("send-draft", {"draft_id": ""}),
        ("delete-draft", {"draft_id": ""}),
        ("send-email", {"recipient_id": "a@example.org", "subject": "s", "message": "m", "thread_id": ""}),
        ("create-draft", {"recipient": "a@example.org", "subject": "s", "message": "m", "thread_id": ""}),
    ],
)
async def test_an_empty_id_is_invalid_params_and_nothing_happens(
    harness: Harness, tool: str, arguments: dict[str, Any]
) -> None:
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        await refused(client, tool, arguments, "is empty")
    assert harness.sandbox.stats()["requests"] == 0


async def test_update_draft_with_nothing_to_change_is_refused_and_leaves_the_draft(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        draft = (await client.ok("list-drafts", {}))["drafts"][0]
        reset_stats(harness.sandbox)
        error = await client.error("update-draft", {"draft_id": draft["id"]})
        after = (await client.ok("list-drafts", {}))["drafts"][0]
    assert error["error_code"] == "INVALID_PARAMS" and error["error_details"] == {"draft_id": draft["id"]}
    assert "gmail.users.drafts.update" not in harness.sandbox.stats()["by_method"]
    assert after == draft
    records = [json.loads(line) for line in harness.settings().paths.audit_log.read_text().splitlines()]
    assert [(r["tool"], r["outcome"], r["error_code"]) for r in records] == [
        ("update-draft", "refused", "INVALID_PARAMS")
    ]


async def test_download_attachment_is_not_idempotent_since_each_call_writes_a_new_file(
    harness: Harness, tmp_path: Path
) -> None:
    folder = tmp_path / "downloads"
    async with harness.client(enhanced=True, download_dirs=(folder,)) as client:
        hints = {t.name: t.annotations for t in (await client.client.list_tools()).tools}
        item = (await client.ok("search-emails", {"query": "has:attachment", "max_results": 1}))["emails"][0]
        attachment = (await client.ok("read-email", {"email_id": item["id"]}))["attachments"][0]
        call = {"email_id": item["id"], "attachment_id": attachment["part_id"], "save_path": "same"}
        first, second = [await client.ok("download-attachment", call) for _ in range(2)]
    assert sorted(p.name for p in folder.iterdir()) == ["same", "same (1)"]
    assert (first["path"], second["path"]) == (str(folder / "same"), str(folder / "same (1)"))
    download = hints["download-attachment"]
    assert download is not None
    # Not idempotent: left out, which MCP reads as false; not destructive: written, as false.
    assert (download.idempotent_hint, download.destructive_hint) == (None, False)


def test_a_compact_output_schema_keeps_what_null_allows_and_drops_what_items_say() -> None:
    class Part(BaseModel):
        name: str
        size: int
        tags: list[str]

    class Answer(BaseModel):
        parts: list[Part]
        tags: list[str] | None  # required, and may be null: the null stays
        more: int | None = None  # left out of a result when null: typed without it

    schema = compact_schema(Answer.model_json_schema(), output=True)
    assert schema == {
        "properties": {
            # Inside listed objects, text is written {} (its name stays); other types stay.
            "parts": {
                "items": {"properties": {"name": {}, "size": {"type": "integer"}, "tags": {"items": {}}}}
            },
            "tags": {"items": {"type": "string"}, "type": ["array", "null"]},
            "more": {"type": "integer"},
        },
        "required": ["parts", "tags"],
        "type": "object",
    }

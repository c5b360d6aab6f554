"""Every tool and prompt through the in-memory MCP client against the sandbox."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from gmail_mcp.sandbox import Mailbox, SandboxServer
from gmail_mcp.sandbox.behaviour import Behaviour
from gmail_mcp.surface.registry import spec
from tests.conftest import FakeClock
from tests.helpers import inject, reset_stats, service_on
from tests.mcp_harness import Harness

pytestmark = pytest.mark.anyio

CORE_TOOLS = {
    "send-email",
    "get-unread-emails",
    "read-email",
    "search-emails",
    "trash-email",
    "mark-email-as-read",
    "open-email",
    "create-draft",
    "list-drafts",
}
ENHANCED_TOOLS = CORE_TOOLS | {
    "list-emails",
    "download-attachment",
    "read-attachment",
    "send-email-with-attachment",
    "manage-labels",
    "list-labels",
    "read-thread",
    "update-draft",
    "send-draft",
    "delete-draft",
    "modify-emails",
    "list-changes",
    "create-label",
    "rename-label",
    "delete-label",
    "list-filters",
    "create-filter",
    "delete-filter",
    "forward-email",
}


async def first_unread(client: Any) -> dict[str, Any]:
    emails = (await client.ok("get-unread-emails", {"max_results": 1}))["emails"]
    return dict(emails[0])


async def test_core_mode_lists_exactly_the_nine_core_tools_and_three_prompts(harness: Harness) -> None:
    async with harness.client() as client:
        tools = (await client.client.list_tools()).tools
        prompts = (await client.client.list_prompts()).prompts
    assert {t.name for t in tools} == CORE_TOOLS
    assert {p.name for p in prompts} == {"manage-email", "draft-email", "edit-draft"}


async def test_enhanced_mode_adds_the_enhanced_tools(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        tools = (await client.client.list_tools()).tools
    assert {t.name for t in tools} == ENHANCED_TOOLS


async def test_every_tool_has_a_title_its_four_hints_and_an_output_schema(harness: Harness) -> None:
    # A hint left out is the MCP default (the cautious value): the listing writes only the others.
    defaults = {"read_only": False, "destructive": True, "idempotent": False, "open_world": True}
    async with harness.client(enhanced=True) as client:
        tools = (await client.client.list_tools()).tools
    for tool in tools:
        hints = tool.annotations
        assert tool.title and tool.description, tool.name
        assert hints is not None
        listed = {
            "read_only": hints.read_only_hint,
            "destructive": hints.destructive_hint,
            "idempotent": hints.idempotent_hint,
            "open_world": hints.open_world_hint,
        }
        meant = dataclasses.asdict(spec(tool.name).hints)
        if meant["read_only"]:  # MCP defines these two only for tools that change something
            assert (listed.pop("destructive"), listed.pop("idempotent")) == (None, None), tool.name
            del meant["destructive"], meant["idempotent"]
        assert {k: defaults[k] if v is None else v for k, v in listed.items()} == meant, tool.name
        assert all(v is None or v != defaults[k] for k, v in listed.items()), tool.name
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name


async def test_a_first_search_with_20_results_fits_gmails_concurrency_cap(harness: Harness) -> None:
    async with harness.client() as client:
        reset_stats(harness.sandbox)
        found = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 20})
    assert len(found["emails"]) == 20
    stats = harness.sandbox.stats()
    # A list, two batches of 10, and (once per server run) the names of the user labels shown.
    assert (stats["requests"], stats["concurrency_limited"]) == (4, 0)


async def test_a_warm_search_with_20_results_costs_two_gmail_requests(
    mailbox: Mailbox, fake_clock: FakeClock, tmp_path: Path
) -> None:
    # The benchmark's sandbox: Gmail letting 50 calls of the user run at once.
    with SandboxServer(mailbox, clock=fake_clock, behaviour=Behaviour(max_concurrent=50)) as roomy:
        async with Harness(roomy, fake_clock, tmp_path).client() as client:
            await client.ok("search-emails", {"query": "in:anywhere", "max_results": 20})
            reset_stats(roomy)
            found = await client.ok("search-emails", {"query": "in:anywhere", "max_results": 20})
        stats = roomy.stats()
    assert len(found["emails"]) == 20
    # 2026 costs: messages.list 5 + 20 x messages.get 20.
    assert (stats["requests"], stats["batch_requests"], stats["quota_units"]) == (2, 1, 405)
    item = found["emails"][0]
    assert set(item) >= {
        "id",
        "threadId",
        "from",
        "subject",
        "date",
        "snippet",
        "labels",
        "unread",
        "has_attachments",
    }


async def test_list_results_have_a_hard_upper_bound_and_a_next_page_token(harness: Harness) -> None:
    async with harness.client(enhanced=True) as client:
        error = await client.error("search-emails", {"query": "in:anywhere", "max_results": 5000})
        page = await client.ok("list-emails", {"query": "in:anywhere", "page_size": 50})
        second = await client.ok(
            "list-emails", {"query": "in:anywhere", "page_token": page.get("next_page_token")}
        )
    assert error["error_code"] == "INVALID_PARAMS"
    assert len(page["emails"]) == 50 and page.get("next_page_token")
    assert not {e["id"] for e in page["emails"]} & {e["id"] for e in second["emails"]}


async def test_get_unread_emails_returns_only_unread_inbox_mail(harness: Harness) -> None:
    async with harness.client() as client:
        unread = await client.ok("get-unread-emails", {"max_results": 50})
    assert unread["emails"]
    assert all(e["unread"] and "INBOX" in e["labels"] for e in unread["emails"])


async def test_reading_an_email_does_not_mark_it_read(harness: Harness) -> None:
    async with harness.client() as client:
        email = await first_unread(client)
        read = await client.ok("read-email", {"email_id": email["id"]})
        again = await client.ok("search-emails", {"query": f"rfc822msgid:{email['id']} OR is:unread"})
    assert read["subject"] == email["subject"]
    assert read["message_id"] == email["id"] and read["thread_id"] == email["threadId"]
    assert "UNREAD" in read["labels"]
    assert email["id"] in {e["id"] for e in again["emails"]}


async def test_a_long_body_comes_in_pieces_that_add_up_to_the_whole(harness: Harness) -> None:
    async with harness.client() as client:
        found = await client.ok("search-emails", {"query": "larger:50K", "max_results": 5})
        long_id = max(found["emails"], key=lambda e: len(e["snippet"]))["id"]
        pieces, offset = [], 0
        while offset is not None:
            part = await client.ok("read-email", {"email_id": long_id, "offset": offset, "max_chars": 10_000})
            pieces.append(part["content"])
            offset = part.get("next_offset")
        whole = await client.ok("read-email", {"email_id": long_id, "max_chars": 100_000})
    assert len(pieces) >= 6
    assert all(len(p) <= 10_000 for p in pieces)
    assert "".join(pieces) == whole["content"]
    assert whole.get("next_offset") is None


async def test_email_text_reaches_the_model_fenced_as_untrusted(harness: Harness) -> None:
    async with harness.client() as client:
        email = await first_unread(client)
        result = await client.call("read-email", {"email_id": email["id"]})
    text = result.content[0].text  # type: ignore[union-attr]
    structured = result.structured_content or {}
    first, *_, last = text.split("\n")
    tag = first.removeprefix("<<<UNTRUSTED ").partition(":")[0]
    assert len(tag) == 16 and last == f"<<<END UNTRUSTED {tag}>>>"
    assert structured["content"] in text and structured["subject"] in text


async def test_trash_moves_to_trash_without_deleting(harness: Harness) -> None:
    async with harness.client() as client:
        email = await first_unread(client)
        done = await client.ok("trash-email", {"email_id": email["id"]})
        trashed = await client.ok("search-emails", {"query": "in:trash", "max_results": 50})
    assert done["status"] == "success" and email["id"] in done["message"]
    assert email["id"] in {e["id"] for e in trashed["emails"]}


async def test_mark_as_read_removes_unread(harness: Harness) -> None:
    async with harness.client() as client:
        email = await first_unread(client)
        await client.ok("mark-email-as-read", {"email_id": email["id"]})
        read = await client.ok("read-email", {"email_id": email["id"]})
    assert "UNREAD" not in read["labels"]


async def test_open_email_opens_the_mail_page_and_returns_its_url(harness: Harness) -> None:
    async with harness.client() as client:
        email = await first_unread(client)
        opened = await client.ok("open-email", {"email_id": email["id"]})
    url = f"{harness.sandbox.url}/mail/{email['id']}"
    assert harness.opened == [url]
    assert opened["url"] == url and url in opened["message"]


async def test_send_email_delivers_to_every_recipient(harness: Harness) -> None:
    async with harness.client() as client:
        sent = await client.ok(
            "send-email",
            {
                "recipient_id": "ana@example.org, you@example.com",
                "subject": "Plan",
                "message": "See you at 9.",
            },
        )
        harness.clock.advance(1)  # Gmail's search index catches up with new mail after a moment
        inbox = await client.ok("search-emails", {"query": "in:inbox subject:Plan"})
    assert sent["status"] == "success" and sent["message_id"]
    envelope = harness.sandbox.stats()["outbox"][-1]
    assert {"ana@example.org", "you@example.com"} <= set(json.dumps(envelope).replace('"', " ").split())
    assert sent["message_id"] in {e["id"] for e in inbox["emails"]}


async def test_drafts_are_created_and_listed(harness: Harness) -> None:
    async with harness.client() as client:
        draft = await client.ok(
            "create-draft", {"recipient": "sam@example.com", "subject": "Lunch?", "message": "Friday?"}
        )
        drafts = await client.ok("list-drafts", {"max_results": 50})
    assert draft["status"] == "success"
    listed = {d["id"]: d for d in drafts["drafts"]}
    assert listed[draft["draft_id"]]["message"]["subject"] == "Lunch?"
    assert listed[draft["draft_id"]]["message"]["id"] == draft["message_id"]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("read-email", {"email_id": "ffffffffffffffff"}),
        ("trash-email", {"email_id": "ffffffffffffffff"}),
        ("mark-email-as-read", {"email_id": "ffffffffffffffff"}),
        ("open-email", {"email_id": "ffffffffffffffff"}),
        (
            "send-email",
            {
                "recipient_id": "a@example.org",
                "subject": "x",
                "message": "y",
                "thread_id": "ffffffffffffffff",
            },
        ),
        (
            "create-draft",
            {"recipient": "a@example.org", "subject": "x", "message": "y", "thread_id": "ffffffffffffffff"},
        ),
        ("read-thread", {"thread_id": "ffffffffffffffff"}),
        ("download-attachment", {"email_id": "ffffffffffffffff", "attachment_id": "x", "save_path": "a.bin"}),
        ("manage-labels", {"email_id": "ffffffffffffffff", "add_labels": ["STARRED"]}),
        ("update-draft", {"draft_id": "r999999", "subject": "x"}),
        ("send-draft", {"draft_id": "r999999"}),
        ("delete-draft", {"draft_id": "r999999"}),
    ],
)
async def test_an_unknown_id_is_not_found(harness: Harness, tool: str, arguments: dict[str, Any]) -> None:
    async with harness.client(enhanced=True) as client:
        error = await client.error(tool, arguments)
    assert error["error_code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("send-email", {"recipient_id": "not an address", "subject": "x", "message": "y"}),
        ("send-email", {"recipient_id": "a@example.org", "subject": "x"}),
        ("get-unread-emails", {"max_results": "many"}),
        ("read-email", {}),
        ("search-emails", {"max_results": 3}),
        ("trash-email", {"email_id": 12}),
        ("mark-email-as-read", {"id": "abc"}),
        ("open-email", {"email_id": "../../etc/passwd"}),
        ("create-draft", {"recipient": "a@", "subject": "x", "message": "y"}),
        ("list-drafts", {"max_results": 51}),
        ("list-emails", {"page_size": 100}),
        (
            "send-email-with-attachment",
            {"recipient_id": "a@example.org", "subject": "s", "message": "m", "attachment_paths": []},
        ),
        ("manage-labels", {"email_id": "ffffffffffffffff"}),
        ("read-thread", {"start": -1, "thread_id": "abc"}),
        ("download-attachment", {"email_id": "abc"}),
        ("update-draft", {"draft_id": 5}),
        ("send-draft", {}),
        ("delete-draft", {"draft": "r1"}),
    ],
)
async def test_a_bad_argument_is_invalid_params(
    harness: Harness, tool: str, arguments: dict[str, Any]
) -> None:
    async with harness.client(enhanced=True) as client:
        error = await client.error(tool, arguments)
    assert error["error_code"] == "INVALID_PARAMS"


@pytest.mark.parametrize(
    ("tool", "arguments", "unknown"),
    [
        (
            "create-draft",
            {"recipient": "a@example.org", "subject": "s", "message": "m", "attachment_paths": ["r.pdf"]},
            ["attachment_paths"],
        ),
        ("search-emails", {"query": "x", "limit": 5}, ["limit"]),
        (
            "send-email",
            {"recipient_id": "a@example.org", "subject": "s", "message": "m", "approval": {"send": True}},
            ["approval"],
        ),
        ("list-labels", {"verbose": True, "all": 1}, ["all", "verbose"]),
    ],
)
async def test_an_unknown_argument_is_invalid_params_naming_it_and_nothing_happens(
    harness: Harness, tool: str, arguments: dict[str, Any], unknown: list[str]
) -> None:
    async with harness.client(enhanced=True) as client:
        reset_stats(harness.sandbox)
        error = await client.error(tool, arguments)
    assert error["error_code"] == "INVALID_PARAMS"
    assert error["error_details"]["unknown"] == unknown
    assert all(name in error["error_message"] for name in unknown)
    assert harness.sandbox.stats()["requests"] == 0


@pytest.mark.parametrize(
    ("name", "options"),
    [("no-such-tool", {}), ("update-draft", {}), ("send-email", {"read_only": True})],
    ids=["never-a-tool", "enhanced-only-in-core-mode", "hidden-by-read-only"],
)
async def test_an_unknown_tool_is_the_protocol_error_invalid_params(
    harness: Harness, name: str, options: dict[str, Any]
) -> None:
    async with harness.client(**options) as client:
        reset_stats(harness.sandbox)
        with pytest.raises(MCPError) as refused:
            await client.client.call_tool(name, {"draft_id": "r1", "recipient_id": "a@example.org"})
    assert refused.value.code == INVALID_PARAMS
    assert refused.value.message.startswith(f"Unknown tool: {name}")
    assert harness.sandbox.stats()["requests"] == 0


async def test_an_unknown_argument_to_a_tool_that_sends_is_audited_as_a_refusal(harness: Harness) -> None:
    async with harness.client() as client:
        await client.error(
            "send-email", {"recipient_id": "a@example.org", "subject": "s", "message": "m", "approval": True}
        )
        await client.error("search-emails", {"query": "x", "limit": 5})
    records = [json.loads(line) for line in harness.settings().paths.audit_log.read_text().splitlines()]
    assert [(r["tool"], r["outcome"], r["error_code"]) for r in records] == [
        ("send-email", "refused", "INVALID_PARAMS")
    ]


GMAIL_FAILURES = [
    ("get-unread-emails", {}, "gmail.users.messages.list"),
    ("search-emails", {"query": "x"}, "gmail.users.messages.list"),
    ("list-emails", {}, "gmail.users.messages.list"),
    ("read-email", {"email_id": "EMAIL"}, "gmail.users.messages.get"),
    ("open-email", {"email_id": "EMAIL"}, "gmail.users.messages.get"),
    ("trash-email", {"email_id": "EMAIL"}, "gmail.users.messages.trash"),
    ("mark-email-as-read", {"email_id": "EMAIL"}, "gmail.users.messages.modify"),
    ("manage-labels", {"email_id": "EMAIL", "add_labels": ["STARRED"]}, "gmail.users.messages.modify"),
    ("list-labels", {}, "gmail.users.labels.list"),
    (
        "send-email",
        {"recipient_id": "a@example.org", "subject": "s", "message": "m"},
        "gmail.users.messages.send",
    ),
    (
        "create-draft",
        {"recipient": "a@example.org", "subject": "s", "message": "m"},
        "gmail.users.drafts.create",
    ),
    ("list-drafts", {}, "gmail.users.drafts.list"),
    ("read-thread", {"thread_id": "THREAD"}, "gmail.users.threads.get"),
    (
        "download-attachment",
        {"email_id": "EMAIL", "attachment_id": "a", "save_path": "x"},
        "gmail.users.messages.get",
    ),
    ("update-draft", {"draft_id": "DRAFT", "subject": "s"}, "gmail.users.drafts.get"),
    ("send-draft", {"draft_id": "DRAFT"}, "gmail.users.drafts.get"),
    ("delete-draft", {"draft_id": "DRAFT"}, "gmail.users.drafts.delete"),
]


@pytest.mark.parametrize(("tool", "arguments", "method"), GMAIL_FAILURES)
async def test_a_gmail_error_becomes_the_error_object(
    harness: Harness, tool: str, arguments: dict[str, Any], method: str
) -> None:
    # The ids straight from the sandbox: a tool call first would fill caches (the label names).
    gmail = service_on(harness.sandbox)
    email = gmail.users().messages().list(userId="me", q="is:unread in:inbox", maxResults=1).execute()
    drafts = gmail.users().drafts().list(userId="me").execute()
    (message,) = email["messages"]
    ids = {"EMAIL": message["id"], "THREAD": message["threadId"], "DRAFT": drafts["drafts"][0]["id"]}
    filled = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()}
    async with harness.client(enhanced=True) as client:
        inject(harness.sandbox, status=403, count=1, method=method, reason="dailyLimitExceeded")
        error = await client.error(tool, filled)
    assert error["error_code"] == "QUOTA_EXCEEDED"


async def test_an_unexpected_failure_never_leaks_its_text(harness: Harness) -> None:
    def broken() -> Any:
        raise RuntimeError("secret internal detail")

    harness.backend_factory = broken
    async with harness.client() as client:
        error = await client.error("get-unread-emails", {})
        still_alive = await client.client.list_tools()
    assert error["error_code"] == "INTERNAL_ERROR"
    assert "secret" not in json.dumps(error)
    assert still_alive.tools


async def test_prompts_render_useful_instructions(harness: Harness) -> None:
    async with harness.client() as client:
        manage = await client.client.get_prompt("manage-email")
        draft = await client.client.get_prompt(
            "draft-email",
            {"content": "the Q3 budget review", "recipient": "Dana", "recipient_email": "dana@example.org"},
        )
        edit = await client.client.get_prompt(
            "edit-draft", {"changes": "make it shorter", "current_draft": "Hi Dana, long text"}
        )
    async with harness.client(enhanced=True) as client:
        enhanced = (await client.client.get_prompt("manage-email")).messages[0].content.text  # type: ignore[union-attr]
    texts = [m.content.text for p in (manage, draft, edit) for m in p.messages]  # type: ignore[union-attr]
    assert "untrusted" in texts[0] and "get-unread-emails" in texts[0]
    # The bulk, history and filter tools are named only where they are offered.
    bulk = ("list-changes", "modify-emails", "dry_run", "create-filter")
    assert all(tool in enhanced for tool in bulk) and not any(tool in texts[0] for tool in bulk)
    assert (
        "dana@example.org" in texts[1] and "the Q3 budget review" in texts[1] and "create-draft" in texts[1]
    )
    assert "make it shorter" in texts[2] and "Hi Dana, long text" in texts[2]


async def test_read_only_mode_offers_no_tool_that_changes_anything(harness: Harness) -> None:
    async with harness.client(enhanced=True, read_only=True) as client:
        tools = (await client.client.list_tools()).tools
    assert tools
    assert all(t.annotations and t.annotations.read_only_hint for t in tools)


async def test_the_tools_option_exposes_only_the_chosen_tools(harness: Harness) -> None:
    async with harness.client(enhanced=True, tools=frozenset({"search-emails", "read-thread"})) as client:
        tools = (await client.client.list_tools()).tools
    assert {t.name for t in tools} == {"search-emails", "read-thread"}


async def test_the_body_reading_code_is_loaded_in_the_background_once_no_call_is_running(
    harness: Harness,
) -> None:
    import anyio

    class Watched(threading.Event):
        """The server's "no call is running" event, saying when the warm-up starts waiting on it."""

        def __init__(self) -> None:
            super().__init__()
            self.set()
            self.waited = threading.Event()

        def wait(self, timeout: float | None = None) -> bool:
            self.waited.set()
            return super().wait(timeout)

    server = harness.server()
    server._no_calls = watched = Watched()
    running: list[int] = []  # the calls in progress when the code was loaded
    server.load_reading_code = lambda: running.append(server._calls)  # type: ignore[method-assign]
    call_may_end = anyio.Event()

    async def a_long_call(ctx: Any) -> str:
        await call_may_end.wait()
        return "answered"

    class Call:
        method = "tools/call"

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(server._warm_up_after_handshake, Call(), a_long_call)
            await anyio.wait_all_tasks_blocked()
            warming = server.warming
            assert warming is not None
            # The warm-up gets the backend ready, then waits: a first search would share the
            # interpreter with the import.
            assert await anyio.to_thread.run_sync(lambda: watched.waited.wait(30))
            assert warming.is_alive() and running == []
            call_may_end.set()
        await anyio.to_thread.run_sync(lambda: warming.join(timeout=30))
        assert running == [0]
    finally:
        server.app.account.close()


def test_the_body_reading_code_waits_until_no_request_has_come_for_a_while(harness: Harness) -> None:
    """A client asks for tools/list right after a first call's answer: the import waits for quiet."""
    import anyio

    from gmail_mcp.server import QUIET_BEFORE_LOADING

    server = harness.server()
    now = [100.0]
    slept: list[float] = []
    loaded_at: list[float] = []

    class Listing:
        method = "tools/list"

    async def answered(ctx: Any) -> None:
        now[0] += 0.01  # the answer takes 10 ms

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds
        if len(slept) == 1:  # a tools/list arrives 50 ms into the first wait
            now[0] -= seconds - 0.05
            anyio.run(server._warm_up_after_handshake, Listing(), answered)

    server._monotonic = lambda: now[0]
    server._sleep = sleep
    server.load_reading_code = lambda: loaded_at.append(now[0])  # type: ignore[method-assign]
    server.warming = threading.current_thread()  # the warm-up runs here, not on a thread of its own
    try:
        anyio.run(server._warm_up_after_handshake, Listing(), answered)  # the last request before
        server._call_came.set()
        server._warm_up()
    finally:
        server.app.account.close()
    assert slept[0] == pytest.approx(QUIET_BEFORE_LOADING)
    assert loaded_at == [pytest.approx(100.0 + 0.01 + 0.05 + 0.01 + QUIET_BEFORE_LOADING)]

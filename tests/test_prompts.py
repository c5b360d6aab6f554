"""Prompts name only the tools the running server offers, and a bad prompts/get is -32602.

The SDK alone answers an unknown prompt or a missing argument with JSON-RPC code 0 and logs a
30-line traceback; a prompt's text was written once, naming tools some modes lack.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from gmail_mcp.surface.names import Tool
from tests.mcp_harness import Harness
from tests.test_e2e import INITIALIZE, SERVE, child_env, spawn

pytestmark = pytest.mark.anyio

INVALID_PARAMS = -32602
ARGUMENTS = {
    "manage-email": {},
    "draft-email": {
        "content": "the Q3 budget review",
        "recipient": "Dana",
        "recipient_email": "dana@example.org",
    },
    "edit-draft": {"changes": "make it shorter", "current_draft": "Hi Dana, long text"},
}


def mentioned(text: str) -> set[str]:
    """The tool names a text mentions (whole names: send-email is not in send-email-with-attachment)."""
    return {str(t) for t in Tool if re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", text)}


async def prompt_texts(harness: Harness, **settings: Any) -> tuple[set[str], dict[str, str]]:
    """(tools offered, prompt name -> text) of a server with these settings."""
    async with harness.client(**settings) as client:
        offered = {t.name for t in (await client.client.list_tools()).tools}
        texts = {}
        for name, arguments in ARGUMENTS.items():
            prompt = await client.client.get_prompt(name, arguments)
            texts[name] = "\n".join(m.content.text for m in prompt.messages)  # type: ignore[union-attr]
    return offered, texts


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"enhanced": True},
        {"read_only": True},
        {"enhanced": True, "read_only": True},
        {"enhanced": True, "tools": frozenset({"read-email", "search-emails", "create-draft"})},
        {"tools": frozenset({"send-email"})},
    ],
    ids=["core", "enhanced", "core-read-only", "enhanced-read-only", "enhanced-three-tools", "send-only"],
)
async def test_prompts_name_only_tools_the_server_offers(harness: Harness, settings: dict[str, Any]) -> None:
    offered, texts = await prompt_texts(harness, **settings)
    for name, text in texts.items():
        assert mentioned(text) <= offered, (name, mentioned(text) - offered)
    assert "untrusted" in texts["manage-email"]
    assert "dana@example.org" in texts["draft-email"] and "the Q3 budget review" in texts["draft-email"]
    assert "make it shorter" in texts["edit-draft"] and "Hi Dana, long text" in texts["edit-draft"]


async def test_prompts_send_the_model_to_the_right_tool_in_each_mode(harness: Harness) -> None:
    _, core = await prompt_texts(harness)
    _, enhanced = await prompt_texts(harness, enhanced=True)
    _, read_only = await prompt_texts(harness, enhanced=True, read_only=True)
    # Core has no update-draft: a revision is saved as a new draft.
    assert mentioned(core["edit-draft"]) == {"create-draft"}
    assert mentioned(enhanced["edit-draft"]) == {"update-draft", "create-draft"}
    assert mentioned(core["draft-email"]) == {"create-draft"}
    assert {
        "get-unread-emails",
        "read-email",
        "mark-email-as-read",
        "create-draft",
        "send-email",
    } <= mentioned(core["manage-email"])
    assert "read-thread" in mentioned(enhanced["manage-email"])
    # Read-only: nothing to save or send with; the prompts say so instead.
    assert mentioned(read_only["draft-email"]) == mentioned(read_only["edit-draft"]) == set()
    assert (
        "cannot save drafts" in read_only["draft-email"] and "cannot change drafts" in read_only["edit-draft"]
    )
    assert "cannot send, trash or change mail" in read_only["manage-email"]


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("draft-mail", {}, "Unknown prompt 'draft-mail'"),
        ("draft-email", {"content": "x", "recipient": "Dana"}, "missing recipient_email"),
        ("edit-draft", {}, "missing changes, current_draft"),
        ("manage-email", {"urgent": "yes"}, "unknown urgent"),
    ],
)
async def test_a_bad_prompt_request_is_invalid_params_saying_what_is_wrong(
    harness: Harness, name: str, arguments: dict[str, str], says: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness.client() as client:
        with pytest.raises(MCPError) as raised:
            await client.client.get_prompt(name, arguments)
    assert raised.value.code == INVALID_PARAMS
    assert says in raised.value.message
    assert not [r for r in caplog.records if r.exc_info]


def test_over_stdio_a_bad_prompt_request_is_minus_32602_with_no_traceback(tmp_path: Path) -> None:
    requests = [
        ("unknown", {"name": "no-such-prompt"}),
        ("missing", {"name": "draft-email", "arguments": {"content": "x"}}),
        ("good", {"name": "edit-draft", "arguments": ARGUMENTS["edit-draft"]}),
    ]
    with spawn([*SERVE, "--sandbox"], child_env(tmp_path), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        answers = {}
        for number, (label, params) in enumerate(requests, start=2):
            server.send({"jsonrpc": "2.0", "id": number, "method": "prompts/get", "params": params})
            answers[label] = server.receive()
        assert server.finish() == 0
    assert answers["unknown"]["error"]["code"] == answers["missing"]["error"]["code"] == INVALID_PARAMS
    assert "recipient" in answers["missing"]["error"]["message"]
    assert answers["good"]["result"]["messages"]
    assert "Traceback" not in server.stderr()

"""`gmail-mcp demo`: a short guided session through a real MCP client against the sandbox.

It starts a sandbox mailbox, launches `gmail-mcp serve` over stdio exactly as an MCP client
would, calls the tools an agent uses most, and shows what each returns and what it cost.
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, TextIO

import anyio

from gmail_mcp.surface.names import Tool as T

NEXT_STEP = (
    'Next, for your own Gmail: the Google Cloud setup in the README ("Connect your Gmail", step 1, '
    "about five minutes), then `gmail-mcp auth`."
)


def run(out: TextIO) -> int:
    from gmail_mcp.sandbox import Mailbox, SandboxServer

    # The server gets a home of its own: the demo's draft must not reach the person's audit log.
    with (
        tempfile.TemporaryDirectory(prefix="gmail-mcp-demo-") as home,
        SandboxServer(Mailbox.seeded()).start() as sandbox,
    ):
        anyio.run(_session, sandbox, home, out)
    return 0


async def _session(sandbox: Any, home: str, out: TextIO) -> None:
    # The server's own messages (where its session folders are) would break up the walk-through:
    # they go to a file, shown only if the session fails.
    with open(Path(home) / "server-stderr.txt", "w+", encoding="utf-8") as errlog:
        try:
            await _walk_through(sandbox, home, out, errlog)
        except BaseException:
            errlog.seek(0)
            sys.stderr.write(errlog.read())
            raise


async def _walk_through(sandbox: Any, home: str, out: TextIO, errlog: TextIO) -> None:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    def say(text: str) -> None:
        print(textwrap.dedent(text).strip() + "\n", file=out)

    def show(value: Any, limit: int = 900) -> None:
        text = json.dumps(value, indent=2, ensure_ascii=False)
        print(
            textwrap.indent(text if len(text) <= limit else text[:limit] + "\n...", "    ") + "\n", file=out
        )

    def cost(before: dict[str, Any]) -> str:
        after = sandbox.stats()
        requests = after["requests"] - before["requests"]
        return (
            f"(cost: {requests} HTTP request{'' if requests == 1 else 's'}, "
            f"{after['quota_units'] - before['quota_units']} Gmail quota units)"
        )

    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "gmail_mcp.cli",
            "serve",
            "--enhanced",
            "--sandbox-url",
            sandbox.url,
            "--no-open-browser",
        ],
        env={"GMAIL_MCP_HOME": home},
    )
    say(f"""
        gmail-mcp demo: a sandbox Gmail at {sandbox.url} (no Google account involved), and
        `gmail-mcp serve --enhanced` started over stdio, as Claude, Cursor or VS Code start it.
    """)
    async with Client(stdio_client(params, errlog=errlog)) as client:
        tools = await client.list_tools()
        say(f"1. tools/list: {len(tools.tools)} tools: {', '.join(t.name for t in tools.tools)}")

        before = sandbox.stats()
        unread = await client.call_tool(T.GET_UNREAD_EMAILS, {"max_results": 5})
        emails = (unread.structured_content or {}).get("emails", [])
        say(
            f"2. {T.GET_UNREAD_EMAILS} (max_results 5) {cost(before)}: one list call, one batch for details, "
            "and (once per run) the label list, to show labels by name."
        )
        show(emails[:2])

        if emails:
            before = sandbox.stats()
            read = await client.call_tool(T.READ_EMAIL, {"email_id": emails[0]["id"], "max_chars": 1500})
            email = read.structured_content or {}
            say(f"3. {T.READ_EMAIL} {cost(before)}: HTML becomes Markdown, the email stays unread.")
            shown = ("subject", "from", "date", "content_type", "next_offset")
            show({k: email[k] for k in shown if email.get(k) is not None})
            print(textwrap.indent(str(email.get("content", ""))[:600], "    | ") + "\n", file=out)

        before = sandbox.stats()
        found = await client.call_tool(T.SEARCH_EMAILS, {"query": "has:attachment", "max_results": 3})
        say(f"4. {T.SEARCH_EMAILS} 'has:attachment' {cost(before)}")
        show(
            [
                {k: e[k] for k in ("from", "subject")}
                for e in (found.structured_content or {}).get("emails", [])
            ]
        )

        before = sandbox.stats()
        draft = await client.call_tool(
            T.CREATE_DRAFT,
            {
                "recipient": "sam@example.com",
                "subject": "Lunch on Friday?",
                "message": "Hi Sam,\n\n**Friday** at 12:30?",
            },
        )
        say(f"5. {T.CREATE_DRAFT} {cost(before)}: Markdown bodies get an HTML alternative.")
        show(draft.structured_content)

        bad = await client.call_tool(T.READ_EMAIL, {"email_id": "ffffffffffffffff"})
        say("6. A failure is an isError result with the reference's error object:")
        print(textwrap.indent(bad.content[0].text if bad.content else "", "    ") + "\n", file=out)  # type: ignore[union-attr]

    stats = sandbox.stats()
    say(f"""
        Session total: {stats["requests"]} HTTP requests and {stats["quota_units"]} quota units.
    """)
    # One line, so that it is the last thing on the screen.
    print(NEXT_STEP, file=out)

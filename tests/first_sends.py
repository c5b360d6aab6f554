"""One fresh session: start the server, list its tools, then make N concurrent first sends.

Run as `python -m tests.first_sends N` in a new interpreter (what "first" needs): prints one JSON
line with the mail modules loaded before the first call and the outcome of every send.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from gmail_mcp.cli import make_server
from gmail_mcp.config import Paths, Settings

# Loaded by the first read or send, never at start (see gmail_mcp/common/lazy.py).
MAIL_MODULES = ("gmail_mcp.content", "html_to_markdown", "selectolax", "markdown_it", "charset_normalizer")


class WallClock:
    def __call__(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


async def session(sends: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="gmail-mcp-first-sends-"))
    paths = Paths(config_dir=home / "config", state_dir=home / "state", data_dir=home / "data")
    holder: dict[str, Any] = {}

    def backend() -> Any:
        from tests.helpers import make_client  # the Gmail client (and the MIME code) load here

        return make_client(holder["sandbox"], WallClock())

    outcomes: list[str] = []
    async with Client(
        make_server(Settings.create(paths=paths, api_root="http://unused/"), backend)
    ) as client:
        await client.list_tools()
        # A copy (atomic): the server's warm-up thread may be importing while this looks.
        loaded_at_start = sorted(m for m in sys.modules.copy() if m.startswith(MAIL_MODULES))
        from gmail_mcp.sandbox import Mailbox, SandboxServer

        with SandboxServer(Mailbox(), port=0) as sandbox:
            holder["sandbox"] = sandbox

            async def send(number: int) -> None:
                result = await client.call_tool(
                    "send-email",
                    {"recipient_id": f"person{number}@example.org", "subject": "Hi", "message": "x"},
                )
                text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
                outcomes.append(json.loads(text).get("error_code", "?") if result.is_error else "ok")

            async with anyio.create_task_group() as group:
                for number in range(sends):
                    group.start_soon(send, number)
            delivered = len(sandbox.stats()["outbox"])
    return {"loaded_at_start": loaded_at_start, "outcomes": outcomes, "delivered": delivered}


if __name__ == "__main__":
    print(json.dumps(anyio.run(session, int(sys.argv[1]))))

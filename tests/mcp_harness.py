"""Running the MCP server in-process against the sandbox, and checking results as a strict client would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from google.oauth2.credentials import Credentials
from mcp import Client
from mcp.types import CallToolResult

from gmail_mcp.cli import make_server
from gmail_mcp.config import DEFAULT_ACCOUNT, Paths, Settings
from tests.helpers import make_client


@dataclass
class Harness:
    """A server over the sandbox, with the URLs open-email asked to open."""

    sandbox: Any
    clock: Any
    home: Path
    opened: list[str] = field(default_factory=list)
    backend_factory: Any = None  # another backend than a client on the sandbox
    client_options: dict[str, Any] = field(default_factory=dict)  # e.g. an elicitation callback
    # More accounts served beside the first: name -> the sandbox user each acts as.
    more_accounts: dict[str, str] = field(default_factory=dict)

    def settings(self, account: str = DEFAULT_ACCOUNT, **overrides: Any) -> Settings:
        paths = Paths(
            config_dir=self.home / "config", state_dir=self.home / "state", data_dir=self.home / "data"
        ).for_account(account)
        base: dict[str, Any] = {
            "api_root": self.sandbox.url + "/",
            "mail_url_template": self.sandbox.url + "/mail/{id}",
        }
        return Settings.create(paths=paths, **{**base, **overrides})

    def server(self, **overrides: Any) -> Any:
        settings = self.settings(**overrides)
        backend = self.backend_factory or self._client(settings)
        others = [
            (account, self._client(account, f"user:{user}"))
            for name, user in self.more_accounts.items()
            for account in [self.settings(name, **overrides)]
        ]
        return make_server(
            settings,
            backend,
            others=others,
            opener=lambda url: self.opened.append(url) or True,
            clock=self.clock,
        )

    def _client(self, settings: Settings, token: str = "test") -> Any:
        # Paced as `serve` paces (cli._client), with the waiting on the fake clock.
        return lambda: make_client(
            self.sandbox,
            self.clock,
            costs=settings.quota_costs,
            units_per_minute=settings.quota_per_minute,
            max_wait=settings.max_wait,
            credentials=Credentials(token=token),
        )

    @asynccontextmanager
    async def client(self, **overrides: Any) -> AsyncIterator[StrictClient]:
        server = self.server(**overrides)
        try:
            async with Client(server, raise_exceptions=True, **self.client_options) as client:
                strict = StrictClient(client)
                await strict.load_schemas()
                yield strict
        finally:
            if server.warming is not None:
                server.warming.join(timeout=30)  # it may still be creating the backend
            server.app.account.close()


class StrictClient:
    """Calls tools and checks every result the way a strict client (MCP Inspector) does."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.schemas: dict[str, dict[str, Any]] = {}

    async def load_schemas(self) -> None:
        for tool in (await self.client.list_tools()).tools:
            self.schemas[tool.name] = tool.output_schema or {}

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        result = await self.client.call_tool(name, arguments or {})
        if result.structured_content is not None:
            # Checked even on error results, as the TypeScript SDK does.
            jsonschema.validate(result.structured_content, self.schemas[name])
        elif not result.is_error:
            raise AssertionError(f"{name} returned no structured content")
        return result

    async def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.call(name, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return result.structured_content

    async def error(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.call(name, arguments)
        assert result.is_error, result.structured_content
        assert result.structured_content is None
        error = json.loads(result.content[0].text)  # type: ignore[union-attr]
        assert set(error) == {"status", "error_message", "error_code", "error_details"}
        assert error["status"] == "error" and error["error_message"]
        assert "Traceback" not in error["error_message"]
        return error

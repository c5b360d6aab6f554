"""Streamable HTTP for the MCP server: always a bearer token, and Host/Origin checked on loopback.

A mailbox server reachable over HTTP hands the mailbox to anyone who can reach the port: on
loopback that is every other account on the machine, and every web page the person opens (DNS
rebinding). So every request must carry the bearer token (`http_token.py` says where it comes
from), on every address; `--http-no-auth` drops it on loopback only. On loopback the Host and
Origin headers are checked as well (a rebound page names a foreign host); elsewhere the token is
the guard alone: clients reach such a server by names and addresses the bind address does not
tell (0.0.0.0 is never a Host header), and a rebound web page cannot attach the secret. Refused
requests are audited (a bounded number of lines a minute).

SSE events carry ids and each session keeps its recent events (`http_events.py`), so a client
whose stream broke resumes it with a `Last-Event-ID` GET; progress notifications and elicitation
requests travel on the stream of the call they belong to.
"""

from __future__ import annotations

import hmac
import math
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gmail_mcp.actions.audit import AuditLog
from gmail_mcp.config import HTTP_MAX_SESSIONS, HTTP_SSE_RETRY_MS
from gmail_mcp.errors import InvalidParamsError
from gmail_mcp.surface.http_events import SessionManager

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class RefusalAudit:
    """Audits refused HTTP requests: each one, up to `per_minute` lines a minute; beyond that they
    are counted and the count goes into the next line (a flood must not fill the disk)."""

    def __init__(
        self, audit: AuditLog, *, per_minute: int = 60, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._audit = audit
        self._per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -math.inf
        self._written = self._suppressed = 0

    def __call__(self, scope: Scope, reason: str) -> None:
        with self._lock:
            now = self._clock()
            if now - self._window >= 60:
                self._window, self._written = now, 0
            if self._written >= self._per_minute:
                self._suppressed += 1
                return
            self._written += 1
            suppressed, self._suppressed = self._suppressed, 0
        client = scope.get("client")
        self._audit.record(
            "http",
            "refused",
            reason=reason,
            client=client[0] if client else None,
            path=scope.get("path"),
            suppressed_before=suppressed or None,
        )


class BearerToken:
    """Refuses (401) any request without `Authorization: Bearer <token>` (the scheme in any case)."""

    def __init__(self, app: ASGIApp, token: str, refused: Callable[[Scope, str], None] | None = None) -> None:
        self.app = app
        self._expected = token.encode()
        self._refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # nothing here speaks WebSocket: never let one past
            self._note(scope, "WebSocket refused")
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] == "http" and not self._authorized(scope):
            self._note(scope, "missing or wrong bearer token")
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")],
                }
            )
            await send({"type": "http.response.body", "body": b"missing or wrong bearer token\n"})
            return
        await self.app(scope, receive, send)

    def _note(self, scope: Scope, reason: str) -> None:
        if self._refused is not None:
            self._refused(scope, reason)

    def _authorized(self, scope: Scope) -> bool:
        given = [value for name, value in scope.get("headers", []) if name == b"authorization"]
        if len(given) != 1:
            return False
        scheme, _, token = given[0].strip().partition(b" ")
        # RFC 9110: the scheme is case-insensitive; compare_digest keeps the token's timing secret.
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._expected)


def http_app(server: Any, *, host: str, port: int, token: str | None) -> ASGIApp:
    """The ASGI app serving MCP at /mcp; `token` None only for `--http-no-auth` on loopback.

    Raises:
        InvalidParamsError: no token on an address beyond loopback.
    """
    loopback = host in LOOPBACK
    if not loopback and not token:
        raise InvalidParamsError(
            f"Serving on {host} without a token would expose the mailbox to the network: "
            "--http-no-auth is for 127.0.0.1 only."
        )
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=loopback,
        allowed_hosts=[f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"],
        allowed_origins=[f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"],
    )
    app = streamable_app(server, security)
    if not token:
        return app
    account = getattr(getattr(server, "app", None), "account", None)
    return BearerToken(app, token, RefusalAudit(account.audit) if account is not None else None)


def streamable_app(server: Any, security: TransportSecuritySettings) -> ASGIApp:
    """MCP at /mcp over streamable HTTP: sessions, each with its own store of recent SSE events.

    What `MCPServer.streamable_http_app` builds (without the SDK's OAuth wiring, which this server
    does not use), with a session manager that gives every session its own event store.
    """
    manager = SessionManager(
        server.lowlevel,
        security_settings=security,
        retry_interval=HTTP_SSE_RETRY_MS,
        max_sessions=HTTP_MAX_SESSIONS,
    )
    return Starlette(
        routes=[Route("/mcp", endpoint=StreamableHTTPASGIApp(manager))],
        lifespan=lambda _app: manager.run(),
    )


def serve_http(server: Any, *, host: str, port: int, token: str | None) -> None:
    """Serve MCP at http://host:port/mcp until Ctrl-C or SIGTERM.

    The port is bound before anything claims to serve on it (port 0: any free one, then named).

    Raises:
        InvalidParamsError: a non-loopback address without a token, or an address that cannot be
            bound (a port in use, an address not of this machine).
    """
    import uvicorn

    try:
        listener = socket.create_server(
            (host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET
        )
    except OSError as exc:
        raise InvalidParamsError(
            f"Cannot serve MCP on {authority(host, port)}: {exc.strerror or exc}. "
            "Choose another --port (or --host), or stop what is using it."
        ) from None
    with listener:
        bound = int(listener.getsockname()[1])
        app = http_app(server, host=host, port=bound, token=token)
        print(f"gmail-mcp: serving MCP at http://{authority(host, bound)}/mcp", file=sys.stderr)
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listener])


def authority(host: str, port: int) -> str:
    """host:port as a URL writes it (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

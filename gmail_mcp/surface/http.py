"""Streamable HTTP for the MCP server: loopback by default, Host/Origin checked, a bearer token otherwise.

A mailbox server reachable from a web page or another machine would hand the mailbox to anyone
who can reach the port. On 127.0.0.1 the Host and Origin headers are checked (DNS rebinding);
bound anywhere else, every request must carry the bearer token set in GMAIL_MCP_HTTP_TOKEN, and
the token is the guard: clients reach such a server by names and addresses the bind address does
not tell (0.0.0.0 is never a Host header), and a rebound web page cannot attach the secret.
"""

from __future__ import annotations

import hmac
import socket
import sys
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from gmail_mcp.errors import InvalidParamsError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class BearerToken:
    """Refuses (401) any HTTP request without `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
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


def http_app(server: Any, *, host: str, port: int, token: str | None) -> ASGIApp:
    """The ASGI app serving MCP at /mcp.

    Raises:
        InvalidParamsError: a non-loopback address without a token.
    """
    loopback = host in LOOPBACK
    if not loopback and not token:
        raise InvalidParamsError(
            f"Serving on {host} exposes the mailbox to the network: set GMAIL_MCP_HTTP_TOKEN to a long "
            "random secret (clients then send it as a bearer token), or use --host 127.0.0.1."
        )
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=loopback,
        allowed_hosts=[f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"],
        allowed_origins=[f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"],
    )
    app: ASGIApp = server.streamable_http_app(host=host, transport_security=security)
    return BearerToken(app, token) if token else app


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

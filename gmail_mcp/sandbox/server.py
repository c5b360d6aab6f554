"""The sandbox HTTP server: Gmail API paths, batch, uploads, OAuth, /mail pages and control.

`SandboxServer` serves one `Mailbox` per user (one, unless `others` are given) from a daemon thread (`ThreadingHTTPServer`, HTTP/1.1
keep-alive as httplib2 expects). `App.handle` turns each request into a reply and never raises;
the handler only moves bytes. Latency is slept before handling, never under the mailbox lock.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gmail_mcp.sandbox import page
from gmail_mcp.sandbox.apierror import ApiError, invalid
from gmail_mcp.sandbox.batch import handle_batch
from gmail_mcp.sandbox.behaviour import Behaviour
from gmail_mcp.sandbox.costs import COSTS, DEFAULT_COSTS, PER_MINUTE
from gmail_mcp.sandbox.delivery import deliver, parse_request
from gmail_mcp.sandbox.faults import FaultBook, FaultSpecError
from gmail_mcp.sandbox.gateway import API_PREFIX, UPLOAD_PREFIXES, Gateway
from gmail_mcp.sandbox.oauth import OAuthServer, basic_client_id, installed_client
from gmail_mcp.sandbox.quota import Stats
from gmail_mcp.sandbox.resources import message_labels
from gmail_mcp.sandbox.store import Mailbox
from gmail_mcp.sandbox.users import Users
from gmail_mcp.sandbox.wire import Reply, Request, error_reply, json_reply

MAX_BODY = 200 * 1024 * 1024  # above every Gmail upload limit (150 MB import) plus JSON overhead
BATCH_PATHS = ("/batch", "/batch/gmail/v1")


class App:
    """Everything the server knows, and the routing of one request."""

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        others: Sequence[Mailbox] = (),
        latency_ms: float = 0,
        quota_per_minute: int | None = None,
        quota_costs: str = DEFAULT_COSTS,
        clock: Callable[[], float] | None = None,
        verbose: bool = False,
        behaviour: Behaviour | None = None,
    ) -> None:
        if quota_costs not in COSTS:
            raise ValueError(f"unknown quota costs {quota_costs!r}: choose one of {', '.join(COSTS)}")
        self.mailbox = mailbox  # the first user's
        self.clock = clock or mailbox.clock
        self.latency_ms = latency_ms
        self.verbose = verbose
        self.behaviour = behaviour or Behaviour()
        self.stats = Stats()
        self.faults = FaultBook()
        self.quota_costs = quota_costs
        per_minute = PER_MINUTE[quota_costs] if quota_per_minute is None else quota_per_minute
        self.users = Users([mailbox, *others], per_minute, self.clock)
        self.oauth = OAuthServer(
            self.clock, self.faults.take_oauth, self.faults.take_consent, users=self.users.addresses
        )
        self.gateway = Gateway(
            self.users,
            oauth=self.oauth,
            stats=self.stats,
            faults=self.faults,
            behaviour=self.behaviour,
            clock=self.clock,
            costs=COSTS[quota_costs],
        )

    def handle(self, request: Request) -> Reply:
        """Answer any request; never raises."""
        try:
            return self._handle(request)
        except ApiError as exc:
            return error_reply(exc)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return error_reply(ApiError(500, "backendError", "Backend Error"))

    def _handle(self, request: Request) -> Reply:
        path = request.path
        if path.startswith("/__sandbox/"):
            return self._control(request)
        is_batch = path in BATCH_PATHS
        if is_batch or path.startswith((API_PREFIX, *UPLOAD_PREFIXES)):
            self.stats.add("requests")  # counted as it arrives, before any latency or failure
            if path.startswith(UPLOAD_PREFIXES):
                self.stats.add("upload_requests")
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        if is_batch:
            return self._batch(request)
        if path.startswith((API_PREFIX, *UPLOAD_PREFIXES)):
            with self.gateway.concurrency.slots(1) as granted:
                return self.gateway.call(request, over_capacity=not granted)
        if path == "/o/oauth2/auth" and request.method == "GET":
            return self.oauth.authorize(request.query)
        if path == "/token" and request.method == "POST":
            return self.oauth.token(request.form(), basic_client_id(request.header("authorization")))
        if path in ("/revoke", "/o/oauth2/revoke") and request.method in ("POST", "GET"):
            return self.oauth.revoke(request.form())
        if path.startswith("/mail/") and request.method == "GET":
            status, html = self._page(unquote(path[len("/mail/") :]))
            return Reply(
                status,
                html,
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", page.CSP)],
            )
        raise ApiError(404, "notFound", f"The requested URL {path} was not found on this server.")

    def _page(self, message_id: str) -> tuple[int, bytes]:
        """The /mail page of the message with that id, in whichever user's mailbox holds it."""
        for mailbox in self.users.mailboxes():
            status, html = page.render(mailbox, message_id)
            if status != 404:
                break
        return status, html

    def _batch(self, request: Request) -> Reply:
        if request.method != "POST":
            raise ApiError(404, "notFound", "Batch requests must be POSTed.")
        self.stats.add("batch_requests")
        fault = self.faults.take("batch")
        if fault is not None and not fault.applied:
            return self.gateway.fail(fault)
        reply = handle_batch(
            request,
            lambda part, over: self.gateway.call(part, over_capacity=over),
            lambda n: self.stats.add("batch_parts", n),
            self.gateway.concurrency.slots,
        )
        return reply if fault is None else self.gateway.fail(fault)

    def _control(self, request: Request) -> Reply:
        route = (request.method, request.path.rstrip("/"))
        if route == ("GET", "/__sandbox/stats"):
            return json_reply(200, self.stats.snapshot())
        if route == ("POST", "/__sandbox/reset"):
            self.stats.reset()
            self.users.reset_quota()
            return json_reply(200, self.stats.snapshot())
        if route == ("GET", "/__sandbox/oauth-client"):
            return json_reply(200, installed_client(request.base_url))
        if route == ("GET", "/__sandbox/faults"):
            return json_reply(200, self.faults.pending())
        if route == ("POST", "/__sandbox/faults"):
            try:
                spec = json.loads(request.body.decode("utf-8") or "null")
                self.faults.add(spec)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise invalid(f"The fault must be a JSON object: {exc}") from exc
            except FaultSpecError as exc:
                raise invalid(f"Invalid fault: {exc}") from exc
            return json_reply(200, self.faults.pending())
        if route == ("DELETE", "/__sandbox/faults"):
            self.faults.clear()
            return json_reply(200, self.faults.pending())
        if route == ("POST", "/__sandbox/tokens"):
            return json_reply(200, self.oauth.accept_refresh_token_spec(_json_object(request)))
        if route == ("POST", "/__sandbox/deliver"):
            return self._deliver(request)
        raise ApiError(404, "notFound", f"No control endpoint {request.method} {request.path}")

    def _deliver(self, request: Request) -> Reply:
        """POST /__sandbox/deliver: incoming mail as Gmail receives it (see `delivery`)."""
        raw, user = parse_request(request.body)
        mailbox = self.mailbox_for(user)
        with mailbox.lock:
            message = deliver(mailbox, raw, searchable_at_ms=mailbox.now_ms() + self.behaviour.index_delay_ms)
            return json_reply(200, message_labels(message))

    def mailbox_for(self, user: str | None) -> Mailbox:
        """The mailbox of `user` (an address of any of its users; None: the first), or 404."""
        found = self.users.first if user is None else self.users.find(user)
        if found is None:
            served = ", ".join(self.users.addresses())
            raise ApiError(404, "notFound", f"No user {user} in this sandbox (it serves {served})")
        return found


def _json_object(request: Request) -> object:
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"The body must be a JSON object: {exc}") from exc


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: httplib2 reuses connections
    server_version = "ESF"  # what Google's front ends call themselves
    sys_version = ""
    timeout = 120  # an idle keep-alive connection is dropped after this

    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm and delayed ACKs add ~40 ms to every keep-alive exchange.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        app = self.server.app
        body = self._read_body()
        if body is None:
            return
        url = urlsplit(self.path)
        host = self.headers.get("Host") or self.server.authority()
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        reply = app.handle(request)
        if reply.reset:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(reply)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length", "0") or "0"
        if not length_text.strip().isdigit():
            self._refuse(400, "Invalid Content-Length")
            return None
        length = int(length_text)
        if length > MAX_BODY:
            self._refuse(413, f"Request body too large (limit {MAX_BODY} bytes)")
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes | None:
        chunks = bytearray()
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self._refuse(400, "Invalid chunked encoding")
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return bytes(chunks)
            if len(chunks) + size > MAX_BODY:
                self._refuse(413, f"Request body too large (limit {MAX_BODY} bytes)")
                return None
            chunks += self.rfile.read(size)
            self.rfile.readline(1024)

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True  # the unread body makes the connection unusable
        self._write(error_reply(ApiError(status, None, message)), close=True)

    def _write(self, reply: Reply, close: bool = False) -> None:
        self.send_response(reply.status, "Resume Incomplete" if reply.status == 308 else None)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.app.verbose:
            sys.stderr.write(f"sandbox: {self.address_string()} {format % args}\n")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # listen()'s backlog: with the default of 5, a burst of simultaneous connections overflows it and
    # the kernel drops SYNs, which clients retransmit only after a second. The kernel caps it at
    # net.core.somaxconn.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], app: App, listener: socket.socket | None = None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler, bind_and_activate=listener is None)
        if listener is not None:
            # Bound and listening already: connections made before now wait in its backlog.
            self.socket.close()
            self.socket = listener
            self.address_family = listener.family
            self.server_address = listener.getsockname()
            self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.discard(request)
        super().shutdown_request(request)

    def authority(self) -> str:
        """host:port this server listens on."""
        host, port = str(self.server_address[0]), int(self.server_address[1])
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def close_connections(self) -> None:
        """End every open keep-alive connection (their threads then finish)."""
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        if self.app.verbose:  # a client hanging up mid-request is routine, not worth a traceback
            super().handle_error(request, client_address)


class SandboxServer:
    """A sandbox Gmail over real HTTP. `start()` serves from a daemon thread; also a context manager."""

    def __init__(
        self,
        mailbox: Mailbox,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0,
        quota_per_minute: int | None = None,
        clock: Callable[[], float] | None = None,
        *,
        others: Sequence[Mailbox] = (),
        quota_costs: str = DEFAULT_COSTS,
        verbose: bool = False,
        behaviour: Behaviour | None = None,
        listener: socket.socket | None = None,
    ) -> None:
        """`mailbox` is the first user's (the default one); `others` are more users, each served at
        /gmail/v1/users/<its address>/ (see `users.py` for which token reaches which).
        `quota_per_minute` None: the limit of the `quota_costs` regime (6,000 for 2026, 15,000 legacy),
        per user.

        `listener`: a socket already bound and listening to serve on (then `host` and `port` are
        not used), so that a caller can hand out the URL before the sandbox exists; it is closed
        when the server stops.
        """
        self.mailbox = mailbox
        self.app = App(
            mailbox,
            others=others,
            latency_ms=latency_ms,
            quota_per_minute=quota_per_minute,
            quota_costs=quota_costs,
            clock=clock,
            verbose=verbose,
            behaviour=behaviour,
        )
        self._address = (host, port)
        self._listener = listener
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is None:
            self._httpd = _HttpServer(self._address, self.app, self._listener)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="gmail-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    @property
    def url(self) -> str:
        """http://host:port of the running server (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("the sandbox server is not started")
        return f"http://{self._httpd.authority()}"

    def stats(self) -> dict[str, Any]:
        """The same JSON as GET /__sandbox/stats."""
        return self.app.stats.snapshot()

    def stop(self) -> None:
        """Stop serving and close every connection."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

"""One Gmail API call from request to reply: route, auth, user, scopes, quota, faults, handler.

Direct calls and batch parts both come through `Gateway.call`, which never raises: every failure
becomes Google's JSON error, and an unexpected exception becomes 500 backendError (and a line on
stderr) rather than a dropped connection.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from gmail_mcp.sandbox.api_collections import HANDLERS as COLLECTION_HANDLERS
from gmail_mcp.sandbox.api_messages import HANDLERS as MESSAGE_HANDLERS
from gmail_mcp.sandbox.api_settings import HANDLERS as SETTINGS_HANDLERS
from gmail_mcp.sandbox.apierror import ApiError, invalid, rate_limited
from gmail_mcp.sandbox.attachment_ids import AttachmentIds
from gmail_mcp.sandbox.behaviour import Behaviour
from gmail_mcp.sandbox.call import IMPORT_LIMIT, SEND_LIMIT, Call, parse_json
from gmail_mcp.sandbox.concurrency import ConcurrencyGate, too_many_concurrent
from gmail_mcp.sandbox.costs import COSTS, DEFAULT_COSTS
from gmail_mcp.sandbox.faults import Fault, FaultBook
from gmail_mcp.sandbox.fields import parse_fields, select
from gmail_mcp.sandbox.methods import Method, match
from gmail_mcp.sandbox.oauth import OAuthServer, api_error_for_scopes
from gmail_mcp.sandbox.outgoing import Envelope
from gmail_mcp.sandbox.quota import Stats
from gmail_mcp.sandbox.store import Mailbox, StoredMessage
from gmail_mcp.sandbox.uploads import Session, UploadSessions, parse_simple
from gmail_mcp.sandbox.users import Users
from gmail_mcp.sandbox.wire import Reply, Request, error_reply, json_reply

HANDLERS = {**MESSAGE_HANDLERS, **COLLECTION_HANDLERS, **SETTINGS_HANDLERS}
API_PREFIX = "/gmail/v1/"
UPLOAD_PREFIXES = ("/upload/gmail/v1/", "/resumable/upload/gmail/v1/")


@dataclass
class _Route:
    method: Method
    params: dict[str, str]
    upload: bool


class Gateway:
    """Dispatches Gmail API calls to the mailbox of the user each names."""

    def __init__(
        self,
        users: Users,
        *,
        oauth: OAuthServer,
        stats: Stats,
        faults: FaultBook,
        behaviour: Behaviour,
        clock: Callable[[], float],
        costs: Mapping[str, int] = COSTS[DEFAULT_COSTS],
    ) -> None:
        self.users = users
        self.oauth = oauth
        self.stats = stats
        self.costs = costs  # units per method id, of the regime the sandbox plays
        self.faults = faults
        self.behaviour = behaviour
        self.uploads = UploadSessions()
        self.attachment_ids = AttachmentIds(behaviour.attachment_id_ttl, clock)
        self.concurrency = ConcurrencyGate(behaviour.max_concurrent)

    def call(self, request: Request, *, over_capacity: bool = False) -> Reply:
        """Answer one call; never raises. `over_capacity`: no concurrency slot was free for it."""
        try:
            return self._call(request, over_capacity)
        except ApiError as exc:
            return error_reply(exc)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return error_reply(ApiError(500, "backendError", "Backend Error"))

    def _call(self, request: Request, over_capacity: bool) -> Reply:
        request = _with_method_override(request)
        if (
            request.path.startswith(UPLOAD_PREFIXES)
            and request.method == "PUT"
            and "upload_id" in request.query
        ):
            received = self.uploads.receive(request)  # a resumable chunk: admitted when the upload began
            return received if isinstance(received, Reply) else self._finish_upload(received)
        route = self._route(request)
        method = route.method
        limit_json = self.behaviour.max_json_body
        if not route.upload and limit_json is not None and len(request.body) > limit_json:
            # Google's front end refuses it before Gmail sees the call.
            raise ApiError(413, "badRequest", f"Request payload size exceeds the limit: {limit_json} bytes.")
        mailbox = self._admit(method, route.params["userId"], request, over_capacity)
        fault = self.faults.take(method.id)
        if fault is not None and not fault.applied:
            return self.fail(fault)
        params = {k: unquote(v) for k, v in route.params.items()}
        params["userId"] = mailbox.owner  # `me` resolved: an upload finishes later, without the token
        limit = IMPORT_LIMIT if method.id.endswith(("import", "insert")) else SEND_LIMIT
        upload_type = (request.query.get("uploadType") or [""])[-1]
        if route.upload and upload_type == "resumable":
            # an applied fault fires when the upload completes, where the call takes effect
            return self.uploads.start(request, method, params, limit, fault)
        if route.upload:
            if upload_type not in ("media", "multipart"):
                raise invalid(
                    "Upload requests must include an uploadType URL parameter and a URL path beginning "
                    "with /upload/"
                )
            body, media = parse_simple(request, upload_type, limit)
        else:
            body = parse_json(request.body) if request.method in ("POST", "PUT", "PATCH") else {}
            media = None
        reply = self.execute(method, params, request.query, body, media)
        return reply if fault is None else self.fail(fault)

    def _admit(self, method: Method, user: str, request: Request, over_capacity: bool) -> Mailbox:
        """Count the call, then check the token, the user it acts as, its scopes, the concurrency
        cap and that user's quota, in Google's order (a call refused for concurrency spends no
        quota). Returns the user's mailbox."""
        self.stats.call(method.id)
        identity = self.oauth.identify(request.header("authorization"))
        mailbox = self.users.acting(identity.user, unquote(user))
        scope_error = api_error_for_scopes(identity.scopes, method.scopes)
        if scope_error is not None:
            raise scope_error
        if over_capacity:
            self.stats.add("concurrency_limited")
            raise too_many_concurrent()
        units = self.costs[method.id]
        if not self.users.quota(mailbox).try_spend(units):
            self.stats.add("throttled")
            raise rate_limited()
        self.stats.add("quota_units", units)
        self.stats.spent(mailbox.owner, units)
        return mailbox

    def _route(self, request: Request) -> _Route:
        path = request.path
        upload = path.startswith(UPLOAD_PREFIXES)
        prefix = next((p for p in (*UPLOAD_PREFIXES, API_PREFIX) if path.startswith(p)), None)
        found = match(request.method, path[len(prefix) :]) if prefix else None
        if found is None or (upload and not found[0].upload):
            raise ApiError(404, "notFound", f"The requested URL {path} was not found on this server.")
        return _Route(found[0], found[1], upload)

    def execute(
        self,
        method: Method,
        params: dict[str, str],
        query: dict[str, list[str]],
        body: dict[str, object],
        media: bytes | None,
    ) -> Reply:
        """Run a method's handler under the lock of the mailbox of `params["userId"]` (an address);
        `fields` trims the answer."""
        selection = parse_fields(query["fields"][-1]) if query.get("fields") else None
        mailbox = self.users.named(params["userId"])
        call = Call(
            mailbox,
            method,
            params,
            query,
            body,
            media,
            self._on_sent,
            behaviour=self.behaviour,
            attachment_ids=self.attachment_ids,
        )
        with mailbox.lock:
            result = HANDLERS[method.id](call)
        return Reply(204) if result is None else json_reply(200, select(result, selection))

    def _finish_upload(self, session: Session) -> Reply:
        media = bytes(session.received)
        try:
            reply = self.execute(session.method, session.params, session.query, session.metadata, media)
        except ApiError as exc:
            reply = error_reply(exc)
        return reply if session.fault is None else self.fail(session.fault)

    def _on_sent(self, message: StoredMessage, envelope: Envelope) -> None:
        self.stats.sent(message.id, message.thread_id, envelope)

    def fail(self, fault: Fault) -> Reply:
        """Answer as the fault says (and count it): an error, or a connection reset."""
        self.stats.add("faults_injected")
        return Reply(0, reset=True) if fault.reset else error_reply(fault.error())


def _with_method_override(request: Request) -> Request:
    """googleapiclient turns a GET with a long URL into a POST carrying the query as a form body."""
    override = request.header("x-http-method-override").upper()
    if not override:
        return request
    query = request.form() if override == "GET" else request.query
    return Request(
        override,
        request.path,
        query,
        request.headers,
        b"" if override == "GET" else request.body,
        request.base_url,
    )

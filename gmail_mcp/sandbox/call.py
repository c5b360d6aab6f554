"""One Gmail API call as handlers see it: path parameters, query, JSON body, uploaded media."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from gmail_mcp.sandbox.apierror import invalid
from gmail_mcp.sandbox.attachment_ids import AttachmentIds
from gmail_mcp.sandbox.behaviour import Behaviour
from gmail_mcp.sandbox.methods import Method
from gmail_mcp.sandbox.outgoing import Envelope
from gmail_mcp.sandbox.store import Mailbox, StoredMessage

SEND_LIMIT = 36_700_160  # messages.send, drafts: 35 MB
IMPORT_LIMIT = 157_286_400  # messages.import and insert accept 150 MB (discovery maxSize)

SentHook = Callable[[StoredMessage, Envelope], None]


def parse_json(body: bytes) -> dict[str, object]:
    """A request body as a JSON object ({} when empty); 400 as Google words it otherwise."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"Invalid JSON payload received. {exc}") from exc
    if not isinstance(value, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    return value


def decode_raw(value: object, where: str) -> bytes:
    """A `raw` field: base64url (standard base64 and missing padding accepted, as Google does)."""
    if not isinstance(value, str):
        raise invalid(f"Invalid value at '{where}' (TYPE_BYTES): expected a base64 string")
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid(f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed") from exc


@dataclass
class Call:
    """The inputs of one call, validated lazily by the accessors."""

    mailbox: Mailbox
    method: Method
    params: dict[str, str]
    query: dict[str, list[str]]
    body: dict[str, object] = field(default_factory=dict)
    media: bytes | None = None  # the message bytes of an upload
    on_sent: SentHook = lambda message, envelope: None
    behaviour: Behaviour = field(default_factory=Behaviour)
    attachment_ids: AttachmentIds | None = None  # None: stable ids (see `attachment_ids`)

    def ids(self) -> AttachmentIds:
        """Who issues and resolves this sandbox's attachment ids."""
        if self.attachment_ids is None:
            self.attachment_ids = AttachmentIds(None, self.mailbox.clock)
        return self.attachment_ids

    def searchable_at_ms(self) -> int:
        """When mail this call adds becomes findable by a `q` search (Gmail indexes it later)."""
        return self.mailbox.now_ms() + self.behaviour.index_delay_ms

    def arg(self, name: str) -> str | None:
        """A single query parameter (the last one when repeated)."""
        values = self.query.get(name)
        return values[-1] if values else None

    def args(self, name: str) -> list[str]:
        """A repeated query parameter."""
        return list(self.query.get(name, []))

    def flag(self, name: str) -> bool:
        """A boolean query parameter; 400 for anything but true/false."""
        value = self.arg(name)
        if value is None or value.lower() == "false":
            return False
        if value.lower() == "true":
            return True
        raise invalid(f"Invalid value at '{name}' (TYPE_BOOL), \"{value}\"")

    def count(self, name: str = "maxResults", default: int = 100, maximum: int = 500) -> int:
        """A page size: Gmail's default when absent, capped at its maximum."""
        value = self.arg(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError as exc:
            raise invalid(f"Invalid value at '{name}' (TYPE_UINT32), \"{value}\"") from exc
        if number < 0:
            raise invalid(f"Invalid value at '{name}' (TYPE_UINT32), \"{value}\"")
        return min(number or default, maximum)

    def raw_message(self, container: dict[str, object], where: str) -> bytes:
        """The message bytes: uploaded media, else the container's base64url `raw`."""
        limit = IMPORT_LIMIT if self.method.id.endswith(("import", "insert")) else SEND_LIMIT
        if self.media is not None:
            raw = self.media
        elif "raw" in container:
            raw = decode_raw(container["raw"], where)
            if len(raw) > limit:
                raise invalid(f"Message too large: {len(raw)} bytes (the limit is {limit} bytes)")
        else:
            raise invalid(f"'{where}' is required")
        if not raw.strip():
            raise invalid(f"'{where}' is required")
        return raw

    def label_list(self, container: dict[str, object], key: str) -> list[str]:
        """A list of label ids from the body, validated against the mailbox."""
        value = container.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid(f"Invalid value at '{key}': expected a list of label ids")
        return self.mailbox.labels.require(value)

    def thread_id(self, container: dict[str, object]) -> str | None:
        """The optional threadId of a message body."""
        value = container.get("threadId")
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise invalid("Invalid value at 'message.thread_id'")
        return value


def object_field(container: dict[str, object], key: str) -> dict[str, object]:
    """A nested JSON object (e.g. a draft's `message`), {} when absent; 400 when not an object."""
    value = container.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid value at '{key}': expected an object")
    return value

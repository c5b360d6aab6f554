"""One-off: write the seed mailbox that `gmail_mcp.sandbox.seed_data()` builds in Python as data files.

    uv run --locked python scripts/export_seed.py gmail_mcp/sandbox/seed_mailbox

Writes `messages/NNN-<subject>.eml` (byte for byte, oldest first), `drafts/N-<subject>.eml` and
`manifest.toml` (owner, user labels with colours, each message's labels and internal date, the
drafts). Run once, when the seed moved from Python code into files; the Python seed is then deleted.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from gmail_mcp.sandbox.seed import seed_data

HEADER = """\
# The sandbox's demo mailbox (`gmail-mcp sandbox`, `gmail-mcp serve --sandbox`, the tests' seeded
# mailbox), read by `gmail_mcp.sandbox.loader.read_seed`.
#
# owner, owner_name: the account. [[labels]]: the user labels, created in this order, with Gmail
# palette colours. [[messages]]: one .eml file each (the raw RFC 822 bytes, CRLF), its system label
# ids (INBOX, UNREAD, CATEGORY_*, ...), the names of its user labels, and its internal date (when Gmail
# received it; an offset date-time, whole milliseconds). Messages are stored oldest first, so a reply
# joins the thread of the message it answers. [[drafts]]: .eml files that become drafts (a reply
# among them joins its thread).
#
# tests/sandbox/test_seed_pin.py pins this mailbox: change it on purpose, and update the pin.
"""


def slug(raw: bytes, fallback: str) -> str:
    """A short ASCII file-name part from the decoded Subject (the From domain when none survives)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = unicodedata.normalize("NFKD", str(message["Subject"] or ""))
    words = re.findall(r"[a-z0-9]+", subject.encode("ascii", "ignore").decode().lower())
    words = [w for w in words if w not in ("re", "fwd", "fw")]
    if not words:
        sender = message["From"].addresses[0].domain if message["From"] else fallback
        words = re.findall(r"[a-z0-9]+", sender.lower().removesuffix(".example"))
    text = ""
    for word in words:
        if len(text) + len(word) + 1 > 40:
            break
        text = f"{text}-{word}" if text else word
    return text or fallback


def toml_string(value: str) -> str:
    # A JSON string of ASCII is a valid TOML basic string (same escapes, \\uXXXX included).
    return json.dumps(value, ensure_ascii=True)


def toml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def toml_date(ms: int) -> str:
    when = datetime.fromtimestamp(ms // 1000, UTC)
    fraction = f".{ms % 1000:03d}" if ms % 1000 else ""
    return when.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def main(target: Path) -> None:
    data = seed_data()
    (target / "messages").mkdir(parents=True, exist_ok=True)
    (target / "drafts").mkdir(parents=True, exist_ok=True)
    lines = [HEADER, f"owner = {toml_string(data.owner)}", f"owner_name = {toml_string(data.owner_name)}"]
    for label in data.labels:
        lines += ["", "[[labels]]", f"name = {toml_string(label.name)}"]
        if label.text_color is not None:
            lines.append(f"text_color = {toml_string(label.text_color)}")
        if label.background_color is not None:
            lines.append(f"background_color = {toml_string(label.background_color)}")
    width = len(str(len(data.messages)))
    for number, message in enumerate(data.messages, start=1):
        name = f"messages/{number:0{width}d}-{slug(message.raw, 'message')}.eml"
        (target / name).write_bytes(message.raw)
        lines += ["", "[[messages]]", f"file = {toml_string(name)}"]
        lines.append(f"internal_date = {toml_date(message.internal_date_ms)}")
        lines.append(f"system_labels = {toml_list(message.system_labels)}")
        if message.user_labels:
            lines.append(f"user_labels = {toml_list(message.user_labels)}")
    for number, raw in enumerate(data.drafts, start=1):
        name = f"drafts/{number}-{slug(raw, 'draft')}.eml"
        (target / name).write_bytes(raw)
        lines += ["", "[[drafts]]", f"file = {toml_string(name)}"]
    (target / "manifest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

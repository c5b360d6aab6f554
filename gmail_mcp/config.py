"""Settings resolved once, at start: folders, mode, limits and what the agent may touch.

Production defaults live here and nowhere else. `GMAIL_MCP_HOME` puts configuration, token,
state and downloads under one folder; otherwise the platform's usual folders are used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

APP_NAME = "gmail-mcp"
GMAIL_API_ROOT = "https://gmail.googleapis.com/"
GMAIL_WEB_URL = "https://mail.google.com/mail/u/0/#all/{id}"
DEFAULT_MAX_RESULTS_CAP = 50  # per list call: one batch of details, never unbounded output
DEFAULT_UNITS_PER_MINUTE = 6_000  # Gmail quota units per user per minute (projects created since 2026-05)
# Downloads: Gmail delivers messages of at most 50 MB with their base64, so no attachment is larger
# than about 37 MB; a session that writes more than 1 GiB to disk is a runaway agent, not a person.
DEFAULT_MAX_DOWNLOAD_BYTES = 40 * 1024 * 1024
DEFAULT_MAX_SESSION_DOWNLOAD_BYTES = 1024 * 1024 * 1024
DEFAULT_MAX_FILES_PER_CALL = 20  # attachment_paths of one send or draft
DEFAULT_MAX_BULK_CHANGES = 1000  # emails one modify-emails call changes (Gmail's batchModify limit)
HTTP_TOKEN_MIN_LENGTH = 32  # characters of a configured HTTP bearer token

# IMAP and SMTP (`serve --backend imap`): Gmail's servers unless told otherwise.
IMAP_HOST = "imap.gmail.com"
IMAP_PORT = 993  # implicit TLS; plain IMAP is never used
SMTP_HOST = "smtp.gmail.com"
SMTP_PORT = 465  # implicit TLS; 587 means STARTTLS, required before login
GMAIL_IMAP_HOSTS = frozenset({"imap.gmail.com", "imap.googlemail.com"})
# Gmail allows about 15 simultaneous IMAP connections per account, shared with every other mail
# program of the person: take a few.
IMAP_POOL_SIZE = 4
IMAP_CONNECT_TIMEOUT = 15.0  # seconds
IMAP_TIMEOUT = 60.0  # seconds for any one command's answer
IMAP_ACQUIRE_TIMEOUT = 60.0  # seconds a call waits for a free connection
DEFAULT_ACCOUNT = "default"
# An account name is part of file and folder names: letters, digits, '.', '_', '-' (as IMAP logins' are).
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_QUOTA_COSTS = "2026"  # Gmail's per-method cost table: "2026" (new projects) or "legacy"
DEFAULT_MAX_WAIT = 60.0  # seconds a call may wait for its quota turn or a backoff before failing at once
GMAIL_HTTP_TIMEOUT = 60.0  # seconds for any one HTTP answer from Gmail (a 35 MB upload included)
# `gmail-mcp status` asks Gmail once, without retries: offline, it must answer in seconds.
STATUS_TIMEOUT = 3.0
CONFIRM_PREVIEW_CHARS = 300  # of a body, shown in the question that approves a send
LABEL_RESOURCE_PAGE = 20  # emails a label resource lists (its newest)
SANDBOX_LOAD_UNREAD = 10  # `sandbox --load`: the newest messages left unread, so a triage has something to do
# Tool calls that may run (or wait for quota) at once, each on its own thread; more wait for a free
# one without holding any thread. Enough that a burst of 200 calls held back by quota all get their
# turn or their refusal at once; a sleeping thread costs little memory.
TOOL_THREADS = 256
# Streamable HTTP: each session keeps its newest SSE events for clients that reconnect with
# Last-Event-ID (surface/http_events.py), at most this many and this much message text; with at most
# this many sessions open, that bounds the memory they take. Clients are asked to wait this long
# before reconnecting a stream that ended early.
HTTP_EVENTS_PER_SESSION = 1000
HTTP_EVENT_BYTES_PER_SESSION = 4 * 1024 * 1024
HTTP_MAX_SESSIONS = 64
HTTP_SSE_RETRY_MS = 1000


@dataclass(frozen=True)
class ReadLimits:
    """What reading one attachment may cost (the attachment-reading tool and resources).

    Every attachment is a file a stranger chose, so each cost it could inflate is bounded: the bytes
    fetched, the time and memory of the extraction (run in a separate process), how far an Office
    file's zip may expand, the pages, cells and slides read, the text kept and the image passed on.
    """

    max_bytes: int = 25 * 1024 * 1024  # Gmail's own attachment limit (25 MB): larger is refused
    # An image reaches the model as it is: what model APIs accept per image, and a pixel count that
    # no client's decoder needs to fear (a small file can declare a huge canvas).
    max_image_bytes: int = 5 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    max_chars: int = 1_000_000  # text kept from one attachment (the model reads it a page at a time)
    max_pages: int = 2_000  # PDF pages or PPTX slides: more is refused before any is read
    max_cells: int = 2_000_000  # spreadsheet cells visited (empty ones too): reading stops there
    # DOCX, XLSX and PPTX are zip archives: their members' declared sizes are checked before parsing
    # (the standard library never inflates a member past its declared size).
    max_expanded_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 200  # inflated / compressed, for members over 1 MiB (real XML: 5-50)
    max_members: int = 10_000
    seconds: float = 20.0  # one extraction, in its own process, killed when it runs out
    memory_bytes: int = 1024 * 1024 * 1024  # the extraction process's address space (POSIX)
    processes: int = 2  # extractions at once (each is a process and a core)
    # Extracted attachments kept while the model pages through them (page 2 costs no Gmail request).
    cache_bytes: int = 64 * 1024 * 1024
    cache_seconds: float = 600.0


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    state_dir: Path
    data_dir: Path
    account: str = DEFAULT_ACCOUNT  # whose token, audit log, state and downloads these are

    @property
    def credentials(self) -> Path:
        """The OAuth client file: one for every account."""
        return self.config_dir / "credentials.json"

    @property
    def token(self) -> Path:
        if self.account == DEFAULT_ACCOUNT:
            return self.config_dir / "token.json"
        return self.config_dir / f"token-{self.account}.json"

    def for_account(self, account: str) -> Paths:
        """The folders of account `account` (`gmail-mcp auth|serve|status --account NAME`).

        The default account's are these, as they always were; another's token is
        `token-<name>.json` beside the default one, and its state (audit log, checkpoints) and data
        (downloads, outbox) live in an `accounts/<name>/` folder of their own. The OAuth client file,
        the HTTP token and the IMAP logins stay where they are (they name their account themselves).
        """
        if account == self.account:
            return self
        if self.account != DEFAULT_ACCOUNT or not ACCOUNT_NAME.fullmatch(account):
            raise ValueError(
                f"{account!r} is not a usable account name: use letters, digits, '.', '_' or '-'"
                if not ACCOUNT_NAME.fullmatch(account)
                else "another account's folders are made from the base ones"
            )
        return Paths(
            config_dir=self.config_dir,
            state_dir=self.state_dir / "accounts" / account,
            data_dir=self.data_dir / "accounts" / account,
            account=account,
        )

    @property
    def audit_log(self) -> Path:
        return self.state_dir / "audit.jsonl"

    @property
    def http_token(self) -> Path:
        """The bearer token HTTP clients must send, generated when GMAIL_MCP_HTTP_TOKEN is not set."""
        return self.config_dir / "http-token"

    @property
    def downloads(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    def sandbox_profile(self, sandbox_url: str) -> Paths:
        """The folders of a login rehearsed against the sandbox at `sandbox_url` (scheme://host:port).

        One per URL, inside the config folder, so such a login never replaces the real one.
        """
        name = re.sub(r"[^A-Za-z0-9.]+", "-", sandbox_url.lower()).strip("-.")
        folder = self.config_dir / "sandbox" / (name or "default")
        return Paths(config_dir=folder, state_dir=folder / "state", data_dir=folder)

    def imap_login(self, account: str = DEFAULT_ACCOUNT) -> Path:
        """Where `gmail-mcp auth --imap --account NAME` records the login (never the password)."""
        return self.config_dir / f"imap-{account}.json"

    def imap_secret(self, account: str = DEFAULT_ACCOUNT) -> Path:
        """The 0600 file holding the app password when no OS keyring is available."""
        return self.config_dir / f"imap-{account}.secret.json"

    def imap_token(self, account: str = DEFAULT_ACCOUNT) -> Path:
        """The OAuth token of an IMAP login made with --xoauth2."""
        return self.config_dir / f"imap-{account}.token.json"

    @classmethod
    def resolve(cls, env: Mapping[str, str] | None = None) -> Paths:
        env = os.environ if env is None else env
        home = env.get("GMAIL_MCP_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(config_dir=root, state_dir=root / "state", data_dir=root)
        import platformdirs

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            state_dir=Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        )


@dataclass(frozen=True)
class Settings:
    paths: Paths
    enhanced: bool = False
    read_only: bool = False
    tools: frozenset[str] | None = None  # None: every tool of the mode
    granted_scopes: frozenset[str] | None = None  # what the saved login grants; None: not known
    api_root: str = GMAIL_API_ROOT
    mail_url_template: str = GMAIL_WEB_URL  # where opening an email sends the browser
    quota_costs: str = DEFAULT_QUOTA_COSTS
    quota_per_minute: int | None = None  # None: the limit of the `quota_costs` regime
    max_wait: float = DEFAULT_MAX_WAIT
    attachment_dirs: tuple[Path, ...] = ()
    download_dirs: tuple[Path, ...] = ()
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES  # one saved attachment
    max_session_download_bytes: int = DEFAULT_MAX_SESSION_DOWNLOAD_BYTES  # all saved by one server run
    max_files_per_call: int = DEFAULT_MAX_FILES_PER_CALL  # files one tool call may read
    max_bulk_changes: int = DEFAULT_MAX_BULK_CHANGES  # emails one bulk change touches per call
    read_limits: ReadLimits = ReadLimits()  # attachments the model reads
    allowed_recipients: tuple[str, ...] = ()  # addresses or domains; empty: anyone
    confirm_send: bool = False
    open_browser: bool = True
    # What the backend can do (backend.Feature values); tools needing more are left out. None: all.
    features: frozenset[str] | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, paths: Paths | None = None, **overrides: Any) -> Settings:
        """Settings with the documented defaults for whatever is not given."""
        paths = paths or Paths.resolve()
        settings = cls(paths=paths, **overrides)
        return replace(
            settings,
            attachment_dirs=settings.attachment_dirs or (paths.outbox, paths.downloads),
            # Only this project's own folder: the system temp folder is shared with every program
            # (a .pth file saved into a virtualenv there runs at the next Python start).
            download_dirs=settings.download_dirs or (paths.downloads,),
        )


def api_root(env: Mapping[str, str] | None = None) -> str:
    """Gmail's API root, or another one speaking its wire format (GMAIL_MCP_API_ROOT)."""
    return (os.environ if env is None else env).get("GMAIL_MCP_API_ROOT") or GMAIL_API_ROOT


def env_flag(name: str, env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(name, "")
    return value.strip().lower() in ("1", "true", "yes", "on")

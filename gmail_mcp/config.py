"""Settings resolved once, at start: folders, mode, limits and what the agent may touch.

Production defaults live here and nowhere else. `GMAIL_MCP_HOME` puts configuration, token,
state and downloads under one folder; otherwise the platform's usual folders are used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

APP_NAME = "gmail-mcp"
GMAIL_API_ROOT = "https://gmail.googleapis.com/"
GMAIL_WEB_URL = "https://mail.google.com/mail/u/0/#all/{id}"
DEFAULT_MAX_RESULTS_CAP = 50  # per list call: one batch of details, never unbounded output
DEFAULT_UNITS_PER_MINUTE = 6_000  # Gmail quota units per user per minute (projects created since 2026-05)
DEFAULT_QUOTA_COSTS = "2026"  # Gmail's per-method cost table: "2026" (new projects) or "legacy"
DEFAULT_MAX_WAIT = 60.0  # seconds a call may wait for its quota turn or a backoff before failing at once
# Tool calls that may run (or wait for quota) at once, each on its own thread; more wait for a free
# one without holding any thread. Enough that a burst of 200 calls held back by quota all get their
# turn or their refusal at once; a sleeping thread costs little memory.
TOOL_THREADS = 256


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    state_dir: Path
    data_dir: Path

    @property
    def credentials(self) -> Path:
        return self.config_dir / "credentials.json"

    @property
    def token(self) -> Path:
        return self.config_dir / "token.json"

    @property
    def audit_log(self) -> Path:
        return self.state_dir / "audit.jsonl"

    @property
    def downloads(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

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
    api_root: str = GMAIL_API_ROOT
    mail_url_template: str = GMAIL_WEB_URL  # where opening an email sends the browser
    quota_costs: str = DEFAULT_QUOTA_COSTS
    quota_per_minute: int | None = None  # None: the limit of the `quota_costs` regime
    max_wait: float = DEFAULT_MAX_WAIT
    attachment_dirs: tuple[Path, ...] = ()
    download_dirs: tuple[Path, ...] = ()
    allowed_recipients: tuple[str, ...] = ()  # addresses or domains; empty: anyone
    confirm_send: bool = False
    open_browser: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, paths: Paths | None = None, **overrides: Any) -> Settings:
        """Settings with the documented defaults for whatever is not given."""
        paths = paths or Paths.resolve()
        settings = cls(paths=paths, **overrides)
        return replace(
            settings,
            attachment_dirs=settings.attachment_dirs or (paths.outbox, paths.downloads),
            download_dirs=settings.download_dirs or (paths.downloads, *_temp_folders()),
        )


def _temp_folders() -> tuple[Path, ...]:
    """The system temp folder, and /tmp where that is elsewhere (the API reference saves to /tmp)."""
    folders = [Path(tempfile.gettempdir())]
    if os.name == "posix" and Path("/tmp").is_dir() and Path("/tmp").resolve() != folders[0].resolve():
        folders.append(Path("/tmp"))
    return tuple(folders)


def api_root(env: Mapping[str, str] | None = None) -> str:
    """Gmail's API root, or another one speaking its wire format (GMAIL_MCP_API_ROOT)."""
    return (os.environ if env is None else env).get("GMAIL_MCP_API_ROOT") or GMAIL_API_ROOT


def env_flag(name: str, env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(name, "")
    return value.strip().lower() in ("1", "true", "yes", "on")

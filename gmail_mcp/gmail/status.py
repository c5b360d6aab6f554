"""`gmail-mcp status`: is the login alive, which account and scopes, and is the token file private."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from typing import TextIO

from gmail_mcp.config import GMAIL_API_ROOT, STATUS_TIMEOUT, Paths
from gmail_mcp.errors import GmailMcpError
from gmail_mcp.gmail import scopes


def report(
    paths: Paths,
    *,
    out: TextIO,
    api_root: str = GMAIL_API_ROOT,
    login_command: str = "gmail-mcp auth",
    needs_client_file: bool = True,
    tool_scopes: Mapping[str, frozenset[str]] | None = None,
) -> int:
    """Print the state of the login, and the tools `serve` hides because the login does not grant
    what they need; 0 when all is well, 1 otherwise.

    `login_command` creates this login (named in what to do about a missing one); it needs the
    OAuth client file unless `needs_client_file` is False (a login command that brings its own).
    """
    from gmail_mcp.gmail.auth import SETUP_HINT, TokenStore, describe

    store = TokenStore(paths.token)
    store.login_command = login_command
    problems: list[str] = []
    print(f"config folder:   {paths.config_dir}", file=out)
    print(
        f"oauth client:    {paths.credentials} ({'present' if paths.credentials.exists() else 'missing'})",
        file=out,
    )
    try:
        token = describe(store)
    except (GmailMcpError, OSError) as exc:
        print(f"token:           {paths.token}", file=out)
        if needs_client_file and not paths.token.exists() and not paths.credentials.exists():
            # `gmail-mcp auth` would fail for want of the client: the Google Cloud step comes first.
            problems.append(
                f"No OAuth client file at {paths.credentials}. "
                + SETUP_HINT.format(path=paths.credentials)
                + f" Then run `{login_command}`."
            )
        else:
            problems.append(getattr(exc, "message", str(exc)))
    else:
        print(f"token:           {token['token_path']} (mode {token['mode']})", file=out)
        granted = ", ".join(scopes.short_name(s) for s in token["scopes"]) or "unknown"
        print(f"scopes:          {granted}", file=out)
        hidden = scopes.unusable(tool_scopes or {}, token["scopes"]) if token["scopes"] else {}
        for tool, lacking in sorted(hidden.items()):
            needs = ", ".join(sorted(scopes.short_name(s) for s in lacking))
            print(f"hidden tool:     {tool} (needs {needs}, not granted)", file=out)
        expiry = token["access_token_expiry"]
        if not expiry:
            access = "none saved (fetched on the next call)"
        elif token["expired"]:
            access = f"expired at {expiry} (renewed on the next call)"
        else:
            access = f"valid until {expiry}"
        print(f"access token:    {access}", file=out)
        folder_mode = stat.S_IMODE(paths.token.parent.stat().st_mode)
        if int(token["mode_found"], 8) & 0o077:
            problems.append(
                f"{paths.token} was readable by other users (mode {token['mode_found']}); it is now "
                f"{token['mode']}. If others may have copied it, remove gmail-mcp's access at "
                "https://myaccount.google.com/permissions, then run `gmail-mcp auth`."
            )
        if folder_mode & 0o077:
            problems.append(f"{paths.token.parent} is open to other users: chmod 700 it.")
        try:
            from gmail_mcp.common.retry import Backoff
            from gmail_mcp.gmail.client import GmailClient
            from gmail_mcp.gmail.transport import authorized_http_factory

            http = authorized_http_factory(store.load(), timeout=STATUS_TIMEOUT)
            client = GmailClient(http, api_root=api_root, backoff=Backoff(max_attempts=1))
            try:
                profile = client.get_profile()
            finally:
                client.close()
            print(f"account:         {profile.email_address} ({profile.messages_total:,} messages)", file=out)
        except GmailMcpError as exc:
            problems.append(exc.message)
    for problem in problems:
        print(f"problem:         {problem}", file=out)
    print("status:          " + ("ok" if not problems else "NOT OK"), file=out)
    return 0 if not problems else 1

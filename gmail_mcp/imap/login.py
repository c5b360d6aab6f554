"""`gmail-mcp auth --imap`, the login `serve --backend imap` uses, and what `status` says of it.

The app password is asked for with hidden input (getpass, prompts on stderr: stdout may carry a
protocol) or taken from GMAIL_MCP_IMAP_PASSWORD; it is verified by logging in before anything is
stored, and a refusal explains how to make an app password. With --xoauth2 the OAuth login (scope
https://mail.google.com/) is made by the caller and only verified and recorded here.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from gmail_mcp.config import IMAP_HOST, IMAP_PORT, SMTP_HOST, SMTP_PORT
from gmail_mcp.errors import GmailMcpError, InvalidParamsError
from gmail_mcp.imap import connect
from gmail_mcp.imap.credentials import LoginStore, StoredLogin, from_environment
from gmail_mcp.imap.pool import Login, OAuthLogin, PasswordLogin, Secret


def servers_for(
    stored: StoredLogin | None,
    *,
    imap_host: str | None = None,
    imap_port: int | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    ca_file: Path | None = None,
) -> connect.Servers:
    """The servers: the options given, else those recorded at login, else Gmail's."""
    return connect.Servers(
        imap_host=imap_host or (stored.imap_host if stored else IMAP_HOST),
        imap_port=imap_port or (stored.imap_port if stored else IMAP_PORT),
        smtp_host=smtp_host or (stored.smtp_host if stored else SMTP_HOST),
        smtp_port=smtp_port or (stored.smtp_port if stored else SMTP_PORT),
        ca_file=ca_file or (Path(stored.ca_file) if stored and stored.ca_file else None),
    )


def ask_address(given: str | None, env: Mapping[str, str], *, out: TextIO, read: Callable[[], str]) -> str:
    """The account's address: --email, GMAIL_MCP_IMAP_USER, or asked for.

    Raises:
        InvalidParamsError: none given, or not an address.
    """
    address = (given or env.get("GMAIL_MCP_IMAP_USER", "")).strip()
    if not address:
        print("Email address: ", end="", file=out, flush=True)
        address = read().strip()
    if "@" not in address or any(ch.isspace() or ch in "\r\n\x00" for ch in address):
        raise InvalidParamsError(f"{address!r} is not an email address; pass it with --email.", email=address)
    return address


def ask_password(
    env: Mapping[str, str], *, out: TextIO, hidden: Callable[[str, TextIO], str] = getpass.getpass
) -> Secret:
    """The app password: GMAIL_MCP_IMAP_PASSWORD, or typed without echo.

    Raises:
        InvalidParamsError: nothing was entered.
    """
    value = env.get("GMAIL_MCP_IMAP_PASSWORD", "")
    if not value:
        print(
            "Paste the app password (Google Account > Security > 2-Step Verification > App passwords,\n"
            "https://myaccount.google.com/apppasswords). It is not shown as you type.",
            file=out,
        )
        value = hidden("App password: ", out)
    if not value.strip():
        raise InvalidParamsError("No app password was entered; nothing was stored.")
    return Secret(value)


def save_password_login(
    store: LoginStore, servers: connect.Servers, user: str, password: Secret, *, verify: bool = True
) -> StoredLogin:
    """Verify the app password by logging in (IMAP and SMTP), then store it.

    Raises:
        AuthError: the servers refused it (with the app-password steps); nothing is stored.
        GmailMcpError: the servers could not be reached; nothing is stored.
    """
    login = PasswordLogin(user, password)
    if verify:
        connect.verify(servers, login)
    record = StoredLogin(
        user=user,
        imap_host=servers.imap_host,
        imap_port=servers.imap_port,
        smtp_host=servers.smtp_host,
        smtp_port=servers.smtp_port,
        ca_file=str(servers.ca_file) if servers.ca_file else None,
    )
    return store.save(record, password)


def save_oauth_login(store: LoginStore, servers: connect.Servers, login: OAuthLogin) -> StoredLogin:
    """Verify an XOAUTH2 login against the IMAP server and record it (the token is stored by the caller)."""
    connect.verify(servers, login)
    record = StoredLogin(
        user=login.user,
        imap_host=servers.imap_host,
        imap_port=servers.imap_port,
        smtp_host=servers.smtp_host,
        smtp_port=servers.smtp_port,
        method="xoauth2",
        ca_file=str(servers.ca_file) if servers.ca_file else None,
    )
    return store.save(record, None)


def login_for(
    store: LoginStore, env: Mapping[str, str], *, oauth_token: Callable[[StoredLogin], Callable[[], str]]
) -> tuple[Login, StoredLogin | None]:
    """The login `serve --backend imap` uses: the environment's, else the stored one.

    `oauth_token(record)` makes the access-token source of an --xoauth2 login.

    Raises:
        AuthError: no login in the environment and none stored (says how to make one).
    """
    given = from_environment(env)
    if given is not None:
        return PasswordLogin(*given), store.load() if store.exists() else None
    stored = store.load()  # without one, says to run `gmail-mcp auth --imap`
    if stored.method == "xoauth2":
        return OAuthLogin(stored.user, oauth_token(stored)), stored
    return PasswordLogin(stored.user, store.password(stored)), stored


def report(store: LoginStore, *, out: TextIO, check: bool = True) -> list[str]:
    """Print the stored IMAP login (never the password); the problems found (an empty list when fine)."""
    from gmail_mcp.imap.credentials import describe

    problems: list[str] = []
    try:
        shown = describe(store)
    except GmailMcpError as exc:
        return [exc.message]
    print(f"imap login:      {shown['user']} via {shown['imap']}, sending via {shown['smtp']}", file=out)
    where = "the OS keyring" if shown["storage"] == "keyring" else shown.get("secret_file", shown["storage"])
    mode = f" (mode {shown['secret_mode']})" if "secret_mode" in shown else ""
    print(f"imap secret:     {shown['method']}, kept in {where}{mode}", file=out)
    if shown.get("secret_mode") not in (None, "0600"):
        problems.append(f"{shown['secret_file']} is not private (mode {shown['secret_mode']}): chmod 600 it.")
    if check and not problems:
        try:
            stored = store.load()
            if stored.method == "password":
                connect.verify(servers_for(stored), PasswordLogin(stored.user, store.password(stored)))
                print("imap check:      logged in", file=out)
        except GmailMcpError as exc:
            problems.append(exc.message)
    return problems


def read_line() -> str:
    return sys.stdin.readline()

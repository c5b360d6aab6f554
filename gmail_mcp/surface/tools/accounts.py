"""The accounts a server serves (issue 16): offered only when there are several.

Every other tool then takes an optional `account` (added by `server.GmailServer`); this one says
which names there are and whose mail each is.
"""

from gmail_mcp.errors import GmailMcpError
from gmail_mcp.surface.app import App
from gmail_mcp.surface.names import Preset
from gmail_mcp.surface.registry import Registry, Tool
from gmail_mcp.surface.results import AccountItem, AccountList
from gmail_mcp.surface.toolkit import READ
from gmail_mcp.surface.tools.core import READS

TOOLS = Registry(enhanced=False)


@TOOLS.tool(
    Tool.LIST_ACCOUNTS,
    "List accounts",
    READ,
    READS,
    "The accounts this server serves and their addresses; pass a name as `account` to any tool "
    "(default: the first).",
    across_accounts=True,
    # Whichever tools are chosen, naming the accounts stays possible (it is offered only with several).
    presets=list(Preset),
)
def list_accounts(app: App) -> AccountList:
    return AccountList(accounts=[_item(app, index) for index in range(len(app.accounts))])


def _item(app: App, index: int) -> AccountItem:
    account = app.accounts[index]
    try:
        email, note = account.backend().get_profile().email_address, ""
    except GmailMcpError as exc:  # one account not logged in must not hide the others
        email, note = "", exc.message
    return AccountItem(name=account.name, email=email, default=index == 0, note=note)

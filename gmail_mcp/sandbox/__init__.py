"""A local Gmail: the Gmail API v1 wire format over real HTTP, for demos and tests.

It imports nothing from the rest of `gmail_mcp` and only the standard library: a stand-in that
shared the code it checks would prove nothing.

    mailbox = Mailbox.seeded(clock=clock)
    with SandboxServer(mailbox, clock=clock) as server:
        ...  # build a googleapiclient service with rootUrl = server.url + "/"
"""

from gmail_mcp.sandbox.cli import main
from gmail_mcp.sandbox.loader import LoadReport
from gmail_mcp.sandbox.server import SandboxServer
from gmail_mcp.sandbox.sources import LoadError
from gmail_mcp.sandbox.store import Mailbox

__all__ = ["LoadError", "LoadReport", "Mailbox", "SandboxServer", "main"]

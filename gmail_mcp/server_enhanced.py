"""The enhanced MCP server (the design card's entry point): the core server plus the enhanced tools.

It adds the tools of `surface/tools/enhanced.py` to what `server.build_server` makes; it never
copies it.
"""

from gmail_mcp.server import GmailServer, build_server
from gmail_mcp.surface.app import App
from gmail_mcp.surface.registry import all_specs


def build_enhanced_server(app: App) -> GmailServer:
    server = build_server(app)
    server.add_specs(s for s in all_specs() if s.enhanced)
    return server

"""gmail-mcp: a fast, complete and safe Gmail MCP server."""

__version__ = "0.1.0"

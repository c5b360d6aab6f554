"""A bare MCPServer with one tool: the start-up baseline `gmail-mcp bench` compares against.

Run as `python -m gmail_mcp.surface.bench.bare`, the way the benchmark runs `gmail-mcp serve`
(`python -m gmail_mcp.cli serve`), so both pay the same interpreter and package start.
"""

from mcp.server.mcpserver import MCPServer


def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


def main() -> None:
    server = MCPServer("bare")
    server.tool()(echo)
    server.run("stdio")


if __name__ == "__main__":
    main()

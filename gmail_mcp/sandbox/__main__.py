"""`python -m gmail_mcp.sandbox`: see `gmail_mcp.sandbox.cli`."""

from gmail_mcp.sandbox.cli import main

raise SystemExit(main(prog="python -m gmail_mcp.sandbox"))

"""`python -m gmail_mcp`: the same as the `gmail-mcp` command."""

from gmail_mcp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

"""The one-time OAuth bootstrap: sign in to Google and store the refresh token.

The same flow as `gmail-mcp auth` (and the same options), for people who keep a checkout:

    uv run scripts/bootstrap_oauth.py [--credentials PATH] [--read-only] [--no-browser]
"""

from __future__ import annotations

import sys

from gmail_mcp.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["auth", *sys.argv[1:]]))

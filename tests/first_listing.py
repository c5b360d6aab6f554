"""A fresh interpreter's first listing: which mail-reading code it loads, and what warm-up adds.

Run as `python -m tests.first_listing` (a new interpreter is what "first" needs): prints one JSON
line with the body-reading modules loaded after a listing of 20 with details, and after the
client's warm-up (a token refresh: the server loads that code itself once no call is running).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from tests.first_sends import WallClock

# What reading a body needs and a listing does not: the MIME facade, HTML and Markdown libraries.
BODY_MODULES = ("gmail_mcp.content.mime", "gmail_mcp.content.htmlmd", "html_to_markdown", "selectolax")
# What the Google libraries would import for features we never use (gmail_mcp.common.lazy.UNUSED_IMPORTS):
# pyparsing for httplib2's Digest logins, google-auth's signing code and the X.509 part of cryptography,
# the security-key challenges of a reauthentication and client-certificate TLS.
UNUSED_MODULES = (
    "pyparsing",
    "google.auth.crypt",
    "cryptography.x509",
    "google.oauth2.webauthn_types",
    "google.auth.transport._mtls_helper",
)


def loaded(names: tuple[str, ...] = BODY_MODULES) -> list[str]:
    return sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in names))


def main() -> dict[str, Any]:
    from gmail_mcp.gmail.client import GmailClient
    from gmail_mcp.sandbox import Mailbox, SandboxServer
    from tests.helpers import make_client

    with SandboxServer(Mailbox.seeded(), port=0) as sandbox:
        client: GmailClient = make_client(sandbox, WallClock())
        page = client.list_messages(query="in:anywhere", max_results=20)
        after_listing = loaded()
        client.warm_up()
        return {
            "listed": len(page.messages),
            "after_listing": after_listing,
            "after_warm_up": loaded(),
            "unused_loaded": loaded(UNUSED_MODULES),
        }


if __name__ == "__main__":
    print(json.dumps(main()))

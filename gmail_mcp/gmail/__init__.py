"""The Gmail REST backend: `GmailClient`, a `MailBackend` over the Gmail API v1 with OAuth.

The Google client library lives here and nowhere above: the executor (quota leases, retries,
batches, the one error boundary in errors.py), exactly-once sending (outbox.py), the transport,
quota costs, scopes and the login. It never imports MCP or the actions layer.
"""

from gmail_mcp.common.lazy import defer_unused_imports

# Before any Google library is imported: the parts of it we never use stay unloaded (see lazy.py).
defer_unused_imports()

"""The Gmail REST backend."""

from gmail_mcp.lazy import defer_unused_imports

# Before any Google library is imported: the parts of it we never use stay unloaded (see lazy.py).
defer_unused_imports()

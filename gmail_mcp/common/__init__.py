"""Shared machinery, backend-neutral: what the Gmail and IMAP backends (and the layers above) share.

Retry decisions and backoff, pacing under a quota budget, the private file a login is kept in,
finding an attachment by its part, and lazily loaded modules. It sits at the bottom of the layers
with `content`: nothing here imports a backend, the actions or MCP.
"""

"""A local Gmail: the Gmail API v1 wire format over real HTTP (filled in by the sandbox work)."""

"""The actions layer: what the agent may do to one mailbox, with the policy, the jails and the audit.

Sending and drafting (prepare -> approve -> send the checked bytes), trash, labels, downloads and
attachments read for the model. It calls a `MailBackend` (gmail/ or imap/) and the content package,
and never imports MCP: a send's approval arrives as a plain `Decision` (approval.py), so the same
actions could serve another front end. Layer rules: pyproject.toml's import contracts.
"""

"""The content layer: email as bytes and text, pure (no I/O, no backend, no MCP).

Reading (mime.py is the facade: MIME trees, charsets, HTML -> Markdown with hidden text dropped,
documents as text) and writing (compose and headers: every header encoded by our code; envelope
reads back what will really be sent). Both backends and the actions layer build on it.
"""

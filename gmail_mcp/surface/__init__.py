"""The MCP surface: the only layer that imports the MCP SDK and its web stack (starlette, uvicorn).

Each tool is declared once (names.py, registry.py) as a few lines that parse, call one action and
return a result model (results.py) rendered as the text the model reads (render.py). Also here:
prompts, resources, confirmation by elicitation, the stdio and HTTP transports, and the `demo` and
`bench` commands, which talk to a server as an MCP client does.
"""

"""`gmail-mcp bench`: what a tool call costs, measured from outside as an MCP client sees it.

The benchmark starts `gmail-mcp sandbox` and `gmail-mcp serve --sandbox-url URL` as subprocesses,
calls tools through the official MCP client over stdio, and reads the sandbox's `/__sandbox/stats`
for the HTTP requests and quota units each operation cost. Timings are given as ratios to a floor
measured in the same run (two sequential round trips to the same sandbox) and start-up as a ratio
to a bare MCPServer started the same way, so figures from different machines can be compared.

    measure.py      pure arithmetic: costs from stats snapshots, result bytes, medians, ratios
    processes.py    child processes: the sandbox, its stats, the floor, a network tripwire, RSS
    mailgen.py      the 500-message mailbox the paging operation walks through
    operations.py   the operations and how one is run through an MCP client
    startup.py      spawn -> tools/list and RSS, against a bare server (bare.py)
    expect.py       `--quick`: counts and bytes against benchmarks/expected.json
    report.py       the tables people read
    runner.py       the full run and the quick run
"""

"""Start-up cost in CPU instructions, which a busy or shared machine does not blur.

    uv run --locked python scripts/start_instructions.py

`gmail-mcp bench` times spawn -> `tools/list` in milliseconds; on a shared machine the same code
measures 1.0x to 1.4x a bare MCPServer from one run to the next. This counts instead the
instructions each process executes (valgrind's callgrind, `apt-get install valgrind`) from its
start, through `initialize` and `tools/list`, to its exit when stdin closes: the same for every
run of the same code. Variants as in the bench: the bare MCPServer, `serve --sandbox` core and
enhanced, and real mode enhanced (a saved login that needs no refresh, Gmail pointed at a closed
port). The server's warm-up is held back (it starts 0.1 s after `initialize`, which under
valgrind's fifty-fold slowdown would fall inside the handshake), so each count is the start alone.
`PYTHONHASHSEED=0` fixes the one source of variation left; bytecode is compiled first.
A variant takes about a minute.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gmail_mcp.surface.bench.runner import dummy_login, write_login
from gmail_mcp.surface.bench.startup import INITIALIZE, INITIALIZED, TOOLS_LIST

HELD_BACK = (
    "import sys, gmail_mcp.server as s; s.HANDSHAKE_GRACE = 1e9; "
    "sys.argv[0] = 'gmail-mcp'; from gmail_mcp.cli import main; sys.exit(main())"
)


def instructions(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    """Instructions of `argv` from start to exit, and the bytes of its tools/list answer."""
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    process.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
    process.stdin.flush()
    process.stdout.readline()
    process.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in (INITIALIZED, TOOLS_LIST)))
    process.stdin.flush()
    listing = process.stdout.readline()  # stdin stays open until the answer is out
    process.stdin.close()
    report = process.stderr.read().decode()
    process.wait()
    shutil.rmtree(out.parent, ignore_errors=True)
    found = re.search(r"Collected : (\d+)", report)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{report[-2000:]}")
    return int(found.group(1)), len(listing)


def main() -> int:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "gmail_mcp")], check=True
    )
    home = Path(tempfile.mkdtemp())
    write_login(home / "real", dummy_login())
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONHASHSEED": "0"}
    sandbox = base | {"GMAIL_MCP_HOME": str(home / "sandbox")}
    real = base | {"GMAIL_MCP_HOME": str(home / "real"), "GMAIL_MCP_API_ROOT": "http://127.0.0.1:9/"}
    python = sys.executable
    variants = [
        ("bare MCPServer", [python, "-m", "gmail_mcp.surface.bench.bare"], base),
        ("core, serve --sandbox", [python, "-c", HELD_BACK, "serve", "--sandbox"], sandbox),
        ("enhanced, serve --sandbox", [python, "-c", HELD_BACK, "serve", "--sandbox", "--enhanced"], sandbox),
        ("enhanced, serve (real mode)", [python, "-c", HELD_BACK, "serve", "--enhanced"], real),
    ]
    counts = {}
    print(f"{'process':30s}  {'instructions':>15s}  {'x bare':>6s}  {'tools/list B':>12s}")
    for name, argv, env in variants:
        counts[name], size = instructions(argv, env)
        ratio = counts[name] / counts["bare MCPServer"]
        print(f"{name:30s}  {counts[name]:15,d}  {ratio:6.3f}  {size:12,d}", flush=True)
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

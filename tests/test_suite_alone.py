"""The test suite in a checkout with nothing beside it: a newcomer's clone has no ../shared.

`.ci/run` runs the whole suite that way; this test keeps the promise visible in a plain `pytest`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def test_a_checkout_without_shared_collects_everything_and_skips_the_corpus_tests_saying_why(
    tmp_path: Path,
) -> None:
    alone = tmp_path / "gmail-mcp"  # tmp_path holds no `shared`
    shutil.copytree(CHECKOUT / "tests", alone / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(CHECKOUT / "pyproject.toml", alone)
    env = {k: v for k, v in os.environ.items() if k != "GMAIL_MCP_SHARED"}

    def pytest(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
        return subprocess.run(argv, cwd=alone, env=env, capture_output=True, text=True, timeout=120)

    collected = pytest("--collect-only")
    corpus = pytest("-rs", "tests/test_corpus.py", "tests/sandbox/test_loading.py")

    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert corpus.returncode == 0, corpus.stdout + corpus.stderr
    skips = [line for line in corpus.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all(
        "needs the shared corpus" in line
        and "put ../shared beside the checkout or set GMAIL_MCP_SHARED" in line
        for line in skips
    ), corpus.stdout
    assert " passed" in corpus.stdout.splitlines()[-1]  # what does not need the corpus still runs

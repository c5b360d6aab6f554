"""Deferred imports: a library's module we never use stays unloaded until something reads from it,
and then behaves exactly like the real one, also when many threads read it at once."""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gmail_mcp.common.lazy import defer_unused_imports

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh package `lib_<id>` whose submodule `unused` counts how often its code ran (in
    `lib_<id>.runs`) and whose `main` imports it the way httplib2 imports its `auth`."""
    name = f"lib_{uuid.uuid4().hex}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("runs = []\n")
    (package / "unused.py").write_text(
        "import time\n"
        f"from {name} import runs\n"
        "runs.append(1)\n"
        "time.sleep(0.05)  # a slow import: other threads arrive while it runs\n"
        "def parse(text):\n"
        "    return text.upper()\n"
        "ANSWER = 42\n"
    )
    (package / "main.py").write_text(
        f"from {name} import unused\n\ndef use(text):\n    return unused.parse(text)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_a_deferred_module_runs_no_code_until_something_reads_from_it(library: str) -> None:
    defer_unused_imports([f"{library}.unused"])
    main = importlib.import_module(f"{library}.main")
    package = sys.modules[library]

    assert package.runs == []  # imported by `main`, yet not run

    assert main.use("digest") == "DIGEST"
    assert package.runs == [1]
    assert importlib.import_module(f"{library}.unused").ANSWER == 42
    assert package.runs == [1]  # once


def test_many_threads_reading_a_deferred_module_at_once_all_see_it_whole(library: str) -> None:
    defer_unused_imports([f"{library}.unused"])
    main = importlib.import_module(f"{library}.main")
    answers: list[object] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            answers.append((main.use("x"), importlib.import_module(f"{library}.unused").ANSWER))
        except BaseException as exc:  # every failure is the finding
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert answers == [("X", 42)] * 16
    assert sys.modules[library].runs == [1]


def test_a_module_already_imported_is_left_as_it_is(library: str) -> None:
    real = importlib.import_module(f"{library}.unused")
    defer_unused_imports([f"{library}.unused"])

    assert importlib.import_module(f"{library}.main").unused is real


def test_the_deferred_google_modules_still_work_when_something_uses_them() -> None:
    # A fresh interpreter: this one may have imported them already. The Digest parser behind
    # httplib2's `auth` (pyparsing) and google-auth's service-account and JWT code must be intact.
    script = (
        "import gmail_mcp.gmail, sys\n"
        "import httplib2\n"
        "from googleapiclient import discovery\n"
        "from google.oauth2 import credentials\n"
        "assert 'pyparsing' not in sys.modules and 'google.auth.crypt' not in sys.modules\n"
        "challenge = httplib2.auth._parse_www_authenticate("
        "{'www-authenticate': 'Digest realm=\"mail\", nonce=\"abc\"'})\n"
        "assert challenge['digest']['realm'] == 'mail', challenge\n"
        "from google.oauth2 import service_account\n"
        "from google.auth import crypt, jwt\n"
        "assert discovery.service_account.Credentials is service_account.Credentials\n"
        "from cryptography.hazmat.primitives import serialization\n"
        "from cryptography.hazmat.primitives.asymmetric import rsa\n"
        "key = rsa.generate_private_key(public_exponent=65537, key_size=2048)\n"
        "pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,"
        " serialization.NoEncryption())\n"
        "public = key.public_key().public_bytes(serialization.Encoding.PEM,"
        " serialization.PublicFormat.SubjectPublicKeyInfo)\n"
        "import time\n"
        "now = int(time.time())\n"
        "token = jwt.encode(crypt.RSASigner.from_string(pem), {'sub': 'me', 'iat': now, 'exp': now + 60})\n"
        "assert jwt.decode(token, certs=public, verify=True)['sub'] == 'me'\n"
        "print('ok')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"

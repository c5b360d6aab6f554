"""Modules loaded on first use, so that `initialize` and `tools/list` answer without them.

Reading and writing mail pulls in our MIME code and what it needs (the stdlib's email policy
and header registry, the HTML and Markdown libraries); a server that has not yet been asked to
read or send anything need not pay for them at start.

This is the one place laziness lives. importlib's `LazyLoader` is not used: on CPython 3.11 it
turns the module into a plain one *before* running its code, so a second thread touching it at
that moment finds attributes missing (64 of 100 concurrent first sends failed). A `LazyModule`
imports through `importlib.import_module`, whose per-module import lock makes every other
thread wait until the module has finished loading.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import importlib.abc


class LazyModule:
    """Stands for module `name` and imports it on first attribute access, thread-safely."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        module = self._module
        if module is None:
            # Thread-safe: a concurrent import of the same module waits for this one to finish.
            module = self._module = importlib.import_module(self._name)
        return module

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r}, {state}>"


def lazy_module(name: str) -> Any:
    """`name`, imported on first attribute access (annotate the name with the real module under
    TYPE_CHECKING, as the callers do)."""
    return LazyModule(name)


def load_now(module: Any) -> None:
    """Import a `lazy_module` now (say, in the background before it is needed); a real module as is."""
    if isinstance(module, LazyModule):
        module._load()


# -- third-party modules our code never uses, imported by libraries it does --------------------
#
# The Google client stack imports, at its own import, code for features this server does not use:
# httplib2's `auth` (HTTP Digest and WSSE logins, parsed with pyparsing, whose grammar is built at
# import), google-auth's service-account and JWT code (which loads `cryptography`), the security-key
# challenges of a reauthentication (WebAuthn) and client-certificate TLS (mTLS). Together they are
# about half of what importing the Google client costs, which a new server pays as it starts.
# `defer_unused_imports` makes each of them a stand-in module that imports the real one on first
# attribute access: nothing changes for code that does use them, it only pays at that point.
UNUSED_IMPORTS = (
    "httplib2.auth",
    "google.auth.jwt",
    "google.oauth2.service_account",
    "google.oauth2.challenges",
    "google.auth.transport.mtls",
)

_deferred: set[str] = set()
_deferred_lock = threading.Lock()


class _StandIn(ModuleType):
    """Stands in `sys.modules` for a deferred module; imports the real one when an attribute is read."""

    def __getattr__(self, attribute: str) -> Any:
        real = self.__dict__.get("_real_module")
        if real is None:
            if attribute.startswith("__"):
                # What the import machinery and introspection probe for (`__path__`, `__file__`):
                # a stand-in has none, and probing must not import the real module.
                raise AttributeError(attribute)
            real = self.__dict__["_real_module"] = _import_real(self.__name__)
        return getattr(real, attribute)


class _StandInFinder:
    """Answers the import of a deferred module (until it is needed for real) with a stand-in: a
    meta path finder and its loader (duck-typed: `importlib.abc` would cost the start-up an import)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        with _deferred_lock:
            if fullname not in _deferred:
                return None
        return importlib.machinery.ModuleSpec(fullname, cast("importlib.abc.Loader", self))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return _StandIn(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the stand-in imports the real module when it is first used."""


_FINDER = _StandInFinder()


def _import_real(name: str) -> ModuleType:
    with _deferred_lock:
        _deferred.discard(name)  # the finder no longer answers for it
        if isinstance(sys.modules.get(name), _StandIn):
            del sys.modules[name]
    # Thread-safe: a concurrent import of the same module waits for this one to finish.
    return importlib.import_module(name)


def defer_unused_imports(names: Sequence[str] = UNUSED_IMPORTS) -> None:
    """Have `names` imported only when something reads from them (see `UNUSED_IMPORTS`); those
    already imported stay as they are. Idempotent."""
    with _deferred_lock:
        _deferred.update(name for name in names if name not in sys.modules)
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)

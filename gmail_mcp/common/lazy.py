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
from types import ModuleType
from typing import Any


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

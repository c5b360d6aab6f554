"""An OS keyring stand-in for the tests: a real `keyring` backend that keeps secrets in a dict.

Selected the way a person selects a keyring backend, with PYTHON_KEYRING_BACKEND, so the code under
test finds it exactly as it would find the macOS Keychain or the Secret Service.
"""

from __future__ import annotations

from typing import ClassVar

from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    priority = 1.0  # type: ignore[assignment]
    secrets: ClassVar[dict[tuple[str, str], str]] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)

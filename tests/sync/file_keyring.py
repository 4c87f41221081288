"""A keyring backend for desktop subprocesses in tests (PYTHON_KEYRING_BACKEND=
tests.sync.file_keyring.FileKeyring): a JSON file named by CHEMVIZ_TEST_KEYRING, outside the
data dir. Never used outside tests."""
from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    def _path(self) -> Path:
        return Path(os.environ["CHEMVIZ_TEST_KEYRING"])

    def _load(self) -> dict:
        try:
            return json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service, username):
        return self._load().get(service, {}).get(username)

    def set_password(self, service, username, password):
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service, username):
        data = self._load()
        if data.get(service, {}).pop(username, None) is None:
            raise PasswordDeleteError(username)
        self._path().write_text(json.dumps(data))

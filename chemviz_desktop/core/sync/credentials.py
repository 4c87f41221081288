"""The API token in the OS keychain (`keyring`), never the password. Machines without a
keychain backend (headless Linux, CI) get a clear message instead of a crash; the token then
lives in memory for this session only."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import keyring
from keyring.errors import KeyringError

from chemviz_desktop.core.paths import data_dir
from engine.version import APP_NAME

SERVICE = f"{APP_NAME} API token"
NO_KEYCHAIN = ("No system keychain is available, so the sign-in cannot be remembered; "
               "you will be asked again next time.")


def _account_key(server_url: str, username: str) -> str:
    return f"{username}@{server_url.rstrip('/')}"


def keychain_available() -> bool:
    """False when keyring only has its 'fail' or null backend (nothing would be stored)."""
    try:
        kr = keyring.get_keyring()
    except Exception:  # noqa: BLE001 -- any backend failure means "no keychain": sign-in still works
        return False
    name = type(kr).__module__ + "." + type(kr).__name__
    return not (name.startswith("keyring.backends.fail") or name.startswith("keyring.backends.null"))


def save_token(server_url: str, username: str, token: str) -> str | None:
    """Store the token; returns None on success or a message to show the user."""
    if not keychain_available():
        return NO_KEYCHAIN
    try:
        keyring.set_password(SERVICE, _account_key(server_url, username), token)
    except (KeyringError, RuntimeError) as exc:
        return f"{NO_KEYCHAIN} ({type(exc).__name__}: {exc})"
    return None


def load_token(server_url: str, username: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, _account_key(server_url, username))
    except (KeyringError, RuntimeError):
        return None


def delete_token(server_url: str, username: str) -> None:
    try:
        keyring.delete_password(SERVICE, _account_key(server_url, username))
    except (KeyringError, RuntimeError):
        pass


@dataclass
class AccountFile:
    """Who was signed in where, without secrets: lets the app and the CLI pick up the account."""
    server_url: str = ""
    username: str = ""
    remember: bool = False
    role: str = ""

    @staticmethod
    def path() -> Path:
        return data_dir() / "account.json"

    @classmethod
    def load(cls) -> "AccountFile":
        try:
            d = json.loads(cls.path().read_text(encoding="utf-8"))
            return cls(**{k: d[k] for k in ("server_url", "username", "remember", "role") if k in d})
        except (OSError, ValueError, TypeError):
            return cls()

    def save(self) -> None:
        p = self.path()
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, p)

    @classmethod
    def clear(cls) -> None:
        try:
            cls.path().unlink()
        except FileNotFoundError:
            pass

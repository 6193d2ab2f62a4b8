"""Where Caicaini Code keeps things, and who it is signed in as.

    $CAICAINI_CODE_HOME  (or the XDG directories: ~/.config/caicaini-code, ~/.local/share/...)
      credentials.json   API keys per server, 0600 (the directory 0700)
      settings.json      preferences: model, max_credits, low_balance_warning, permissions
      history            the prompt history
      sessions/<folder>/<session id>.jsonl

The server is ``--base-url``, else ``CAICAINI_BASE_URL``, else the one signed in to last; the
key is ``CAICAINI_API_KEY``, else the one stored for that server (a key is never sent to a
server it was not issued by).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_LOW_BALANCE = 200


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / fallback


def config_dir() -> Path:
    home = os.environ.get("CAICAINI_CODE_HOME")
    return Path(home) if home else _xdg("XDG_CONFIG_HOME", ".config") / "caicaini-code"


def data_dir() -> Path:
    home = os.environ.get("CAICAINI_CODE_HOME")
    return Path(home) if home else _xdg("XDG_DATA_HOME", ".local/share") / "caicaini-code"


def read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json(path: Path, value: dict[str, Any], *, private: bool = False) -> None:
    """Replace ``path`` atomically; ``private`` files are 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600 if private else 0o644)
        with os.fdopen(fd, "w") as handle:
            json.dump(value, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class Credentials:
    base_url: str
    api_key: str | None
    key_id: str | None = None
    key_name: str | None = None
    from_env: bool = False


class CredentialStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or config_dir()) / "credentials.json"

    def _load(self) -> dict[str, Any]:
        return read_json(self.path)

    def resolve(self, base_url: str | None = None) -> Credentials:
        stored = self._load()
        url = normalise_url(
            base_url
            or os.environ.get("CAICAINI_BASE_URL")
            or stored.get("current")
            or DEFAULT_BASE_URL
        )
        env_key = os.environ.get("CAICAINI_API_KEY")
        if env_key:
            return Credentials(url, env_key.strip(), from_env=True)
        entry = (stored.get("servers") or {}).get(url) or {}
        return Credentials(url, entry.get("api_key"), entry.get("key_id"), entry.get("key_name"))

    def save(self, creds: Credentials) -> None:
        stored = self._load()
        servers = stored.setdefault("servers", {})
        servers[creds.base_url] = {
            "api_key": creds.api_key,
            "key_id": creds.key_id,
            "key_name": creds.key_name,
        }
        stored["current"] = creds.base_url
        write_json(self.path, stored, private=True)

    def forget(self, base_url: str) -> bool:
        stored = self._load()
        removed = (stored.get("servers") or {}).pop(base_url, None) is not None
        if removed:
            write_json(self.path, stored, private=True)
        return removed


class Preferences:
    """``settings.json``: the user's defaults (the project's rules live in the project)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or config_dir()) / "settings.json"
        self.values = read_json(self.path)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def set(self, name: str, value: Any) -> None:
        self.values[name] = value
        write_json(self.path, self.values)

    @property
    def low_balance_warning(self) -> int:
        value = self.values.get("low_balance_warning", DEFAULT_LOW_BALANCE)
        return int(value) if isinstance(value, int) else DEFAULT_LOW_BALANCE

"""What every command needs, built once per run: the server and key, the API client, the
preferences, the session store and the project folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caicaini_code import config
from caicaini_code.errors import NotSignedIn


@dataclass
class App:
    base_url: str | None = None  # --base-url
    cwd: Path = field(default_factory=Path.cwd)
    store_dir: Path | None = None
    _api: Any = None

    @property
    def credentials(self) -> config.CredentialStore:
        return config.CredentialStore(self.store_dir)

    @property
    def prefs(self) -> config.Preferences:
        return config.Preferences(self.store_dir)

    def creds(self) -> config.Credentials:
        return self.credentials.resolve(self.base_url)

    def api(self, *, signed_in: bool = True, on_retry: Any = None) -> Any:
        from caicaini_code.api import Api

        creds = self.creds()
        if signed_in and not creds.api_key:
            raise NotSignedIn(creds.base_url)
        if self._api is None:
            self._api = Api(creds.base_url, creds.api_key if signed_in else None, on_retry=on_retry)
        return self._api

    def sessions(self) -> Any:
        from caicaini_code.sessions import SessionStore

        return SessionStore((self.store_dir or config.data_dir()) / "sessions")

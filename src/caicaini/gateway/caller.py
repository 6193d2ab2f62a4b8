"""Who a gateway message is for: an account, through one of its API keys or the web app.

Every face that spends credits (the API endpoints, the web chat, the terminal client through
the API) describes its caller with a ``Caller`` and hands it to ``pipeline.admit_caller``:
the same admission, hold, settlement and receipt follow whatever the face. What differs by
source is only what the key adds: its model list, its own caps and limit overrides, and its
last-used time.
"""

from __future__ import annotations

from dataclasses import dataclass

from caicaini.api_keys.cache import KeyRecord

API = "api"
WEB = "web"


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    source: str  # API | WEB
    key: KeyRecord | None = None

    @classmethod
    def for_key(cls, key: KeyRecord) -> Caller:
        return cls(account_id=key.account_id, source=API, key=key)

    @classmethod
    def for_web(cls, account_id: str) -> Caller:
        return cls(account_id=account_id, source=WEB)

    @property
    def key_id(self) -> str | None:
        return self.key.id if self.key is not None else None

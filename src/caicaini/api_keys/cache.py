"""A short-lived in-process cache of key records for the gateway's hot path.

Authenticating a key costs a checksum check and, on a miss, one indexed query. Records are kept
for ``ttl`` seconds (5 by default). A revocation evicts the record at once from every live
cache of this process (``invalidate_everywhere``) and, with ``CAICAINI_REDIS_URL`` set, of every
other process (``caicaini.api_keys.broadcast``); without Redis, other processes' caches (several
workers) let go of it within their ``ttl``.

Eviction happens inside the revoking transaction, before it commits, so a request in between
would read the key as still valid; the cache then refuses to store that key for one ``ttl``
(each request reads it afresh until the revocation is visible). Without that, a leaked key
under heavy use would keep working for another ``ttl`` in exactly the case revocation is for.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

_live_caches: weakref.WeakSet[KeyCache] = weakref.WeakSet()
# Where other processes' caches are told (the Redis channel, when one is open).
_publishers: list[Callable[[str], None]] = []


@dataclass(frozen=True)
class KeyRecord:
    """What the gateway needs to know about a key (no secret in here)."""

    id: str
    account_id: str
    key_hash: str
    usable: bool  # not revoked, not disabled, account active
    account_status: str
    expires_at: datetime | None
    allowed_models: tuple[str, ...] | None
    daily_credit_cap: int | None
    monthly_credit_cap: int | None
    rpm_override: int | None
    concurrency_override: int | None
    last_used_at: datetime | None
    revoked_reason: str | None = None  # owner, leak_reported, account_closed, signed_out...


class KeyCache:
    def __init__(self, ttl: float = 5.0, max_entries: int = 100_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, KeyRecord | None]] = {}
        self._not_before: dict[str, float] = {}  # invalidated: not cached until then
        _live_caches.add(self)

    def get(self, key_hash: str) -> tuple[bool, KeyRecord | None]:
        """(hit, record); a cached ``None`` means "known not to exist"."""
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key_hash: str, record: KeyRecord | None) -> None:
        if self._not_before:
            until = self._not_before.get(key_hash)
            if until is not None:
                if until > time.monotonic():
                    return
                del self._not_before[key_hash]
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key_hash] = (time.monotonic() + self.ttl, record)

    def invalidate(self, key_hash: str) -> None:
        """Evict the record and keep it out for one ``ttl`` (see the module's docstring)."""
        self._entries.pop(key_hash, None)
        now = time.monotonic()
        if len(self._not_before) >= self.max_entries:
            self._not_before = {k: t for k, t in self._not_before.items() if t > now}
        self._not_before[key_hash] = now + self.ttl

    def clear(self) -> None:
        self._entries.clear()


def invalidate_everywhere(key_hash: str) -> None:
    """Evict the key from this process's caches and tell the other processes."""
    invalidate_here(key_hash)
    for publish in list(_publishers):
        publish(key_hash)


def invalidate_here(key_hash: str) -> None:
    for cache in list(_live_caches):
        cache.invalidate(key_hash)


def add_publisher(publish: Callable[[str], None]) -> None:
    _publishers.append(publish)


def remove_publisher(publish: Callable[[str], None]) -> None:
    if publish in _publishers:
        _publishers.remove(publish)

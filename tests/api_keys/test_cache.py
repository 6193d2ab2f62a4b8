"""The gateway's key cache: a key being revoked is not cached for one TTL (a read made before
the revocation commits must not outlive it), then caching resumes."""

from __future__ import annotations

import time

from caicaini.api_keys.cache import KeyCache, invalidate_everywhere


def test_an_invalidated_key_stays_uncached_for_one_ttl_then_caches_again() -> None:
    cache = KeyCache(ttl=0.05)
    cache.put("other", None)
    invalidate_everywhere("revoked")
    cache.put("revoked", None)  # read before the revocation committed
    assert cache.get("revoked") == (False, None)
    assert cache.get("other") == (True, None)
    time.sleep(0.06)
    cache.put("revoked", None)
    assert cache.get("revoked") == (True, None)

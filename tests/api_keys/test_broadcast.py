"""With Redis configured, a key evicted in one process is evicted in every other: each
process publishes the hashes it invalidates and listens for the others'. Two channels here
stand for two processes; their caches are checked through what the listener does."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest

from caicaini.api_keys.broadcast import InvalidationChannel
from caicaini.api_keys.cache import KeyCache, invalidate_everywhere
from caicaini.api_keys.startup import startup
from caicaini.context import AppContext

REDIS_URL = os.environ.get("CAICAINI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


async def require_redis() -> None:
    probe = InvalidationChannel(REDIS_URL)
    try:
        await probe.redis.ping()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"Redis is required with CI=true and unreachable: {exc}")
        pytest.skip(f"Redis unavailable: {exc}")
    finally:
        await probe.redis.aclose()


@pytest.fixture
async def channels() -> AsyncIterator[tuple[InvalidationChannel, InvalidationChannel]]:
    await require_redis()
    name = f"caicaini-test:keys:{secrets.token_hex(6)}"
    pair = (
        InvalidationChannel(REDIS_URL, channel=name),
        InvalidationChannel(REDIS_URL, channel=name),
    )
    for channel in pair:
        await channel.start(listen=True)
    await asyncio.wait_for(asyncio.gather(*(c.listening.wait() for c in pair)), 10)
    yield pair
    for channel in pair:
        await channel.aclose()


async def evicted(cache: KeyCache, key_hash: str) -> bool:
    for _ in range(200):
        if cache.get(key_hash) == (False, None):
            return True
        await asyncio.sleep(0.025)
    return False


async def test_a_key_invalidated_elsewhere_is_evicted_here(
    channels: tuple[InvalidationChannel, InvalidationChannel],
) -> None:
    other_process, _this_process = channels
    cache = KeyCache(ttl=600)  # only the message can evict it in this test
    cache.put("revoked-hash", None)
    cache.put("kept-hash", None)
    other_process.publish("revoked-hash")  # what the other process's revocation sends
    assert await evicted(cache, "revoked-hash")
    cache.put("revoked-hash", None)  # a read racing the revocation's commit is not kept
    assert cache.get("revoked-hash") == (False, None)
    assert cache.get("kept-hash") == (True, None)


async def test_without_redis_revoking_still_evicts_here_and_the_listener_retries() -> None:
    channel = InvalidationChannel("redis://127.0.0.1:1/0")  # nothing listens there
    await channel.start(listen=True)
    cache = KeyCache(ttl=600)
    cache.put("h", None)
    invalidate_everywhere("h")  # the publish fails in the background (logged)
    assert cache.get("h") == (False, None)
    await asyncio.sleep(0.1)
    assert not channel.listening.is_set()
    await channel.aclose()


async def test_a_server_with_redis_configured_listens(ctx: AppContext) -> None:
    await require_redis()
    settings = ctx.settings.model_copy(update={"redis_url": REDIS_URL})
    with_redis = AppContext(settings, ctx.db, ctx.clock)
    await startup(with_redis)
    channel = with_redis.extras["key_invalidations"]
    try:
        await asyncio.wait_for(channel.listening.wait(), 10)
    finally:
        await channel.aclose()

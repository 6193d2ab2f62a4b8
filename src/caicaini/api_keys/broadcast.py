"""Key invalidations across processes, over a Redis channel (``CAICAINI_REDIS_URL``).

Every process that can revoke or disable a key (the web server, the job worker) publishes the
key's hash when it evicts it from its own caches; every server process listens and evicts it
from its caches too, so a revoked key stops working everywhere at once, not within the caches'
five seconds. A message can arrive before the revoking transaction commits: the cache then
keeps the key out for one TTL (``KeyCache.invalidate``), so a read made in between is not kept.
If Redis is unreachable the listener retries every second; meanwhile the TTL bounds staleness.
"""

from __future__ import annotations

import asyncio
import contextlib

from caicaini.api_keys.cache import add_publisher, invalidate_here, remove_publisher
from caicaini.logs import get_logger

log = get_logger(__name__)

CHANNEL = "caicaini:api-keys:invalidated"
RETRY_SECONDS = 1.0


class InvalidationChannel:
    def __init__(self, url: str, *, channel: str = CHANNEL) -> None:
        import redis.asyncio as redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.channel = channel
        self.listening = asyncio.Event()  # subscribed (tests wait for it)
        self._listener: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self, *, listen: bool) -> None:
        """Publish this process's invalidations; ``listen``: also evict what others publish
        (servers, which hold key caches)."""
        add_publisher(self.publish)
        if listen:
            self._listener = asyncio.create_task(self._listen())

    def publish(self, key_hash: str) -> None:
        """Tell the other processes (in the background: revoking does not wait for Redis)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._send(key_hash))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, key_hash: str) -> None:
        try:
            await self.redis.publish(self.channel, key_hash)
        except Exception as exc:  # the other processes' TTL still bounds it
            log.warning("api_keys.invalidation_not_sent", error=type(exc).__name__)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=1.0
                        )
                        if message is not None and message["type"] == "message":
                            invalidate_here(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down or restarted: subscribe again
                self.listening.clear()
                log.warning("api_keys.invalidation_channel_down", error=type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)

    async def aclose(self) -> None:
        remove_publisher(self.publish)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        await self.redis.aclose()

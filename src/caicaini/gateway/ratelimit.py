"""Rate limits: requests per minute, messages per UTC day and concurrent requests.

One call, ``admit``, checks the three limits together and counts the request only when all
three allow it (a refused request consumes nothing); ``finish`` frees the concurrency slot.
Windows are fixed and aligned to wall time (the minute; the UTC day). Concurrency slots carry
a time-to-live so a crashed process cannot leak them forever.

Two backends with one interface: ``MemoryRateLimiter`` (the embedded default, one process) and
``RedisRateLimiter`` (``CAICAINI_REDIS_URL``: one Lua script per admission, so limits hold
across processes and hosts). Failed key attempts per address use ``note_failure`` /
``failures``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

SLOT_TTL_SECONDS = 900
DAY = 86_400
MINUTE = 60


@dataclass(frozen=True)
class Limits:
    """The limits that apply to one request and the buckets they count in."""

    rpm: int
    rpm_bucket: str
    per_day: int
    day_bucket: str
    concurrency: int
    concurrency_bucket: str


@dataclass(frozen=True)
class Admission:
    allowed: bool
    limit: int  # requests per minute
    remaining: int  # requests left this minute
    reset_after: int  # seconds until the minute window resets
    refused_by: str | None = None  # "rpm" | "per_day" | "concurrency"
    retry_after: int = 0
    slot: str | None = None  # concurrency token to give back to ``finish``


class RateLimiter(Protocol):
    async def admit(self, limits: Limits) -> Admission: ...

    async def finish(self, bucket: str, slot: str) -> None: ...

    async def note_failure(self, bucket: str, window: int) -> int: ...

    async def failures(self, bucket: str, window: int) -> int: ...

    async def aclose(self) -> None: ...


def _windows(now: float) -> tuple[int, int, int, int]:
    minute, day = int(now // MINUTE), int(now // DAY)
    return minute, day, MINUTE - int(now % MINUTE), DAY - int(now % DAY)


def _refusal(limits: Limits, by: str, retry_after: int, used_rpm: int, reset: int) -> Admission:
    return Admission(
        allowed=False,
        limit=limits.rpm,
        remaining=max(0, limits.rpm - used_rpm),
        reset_after=reset,
        refused_by=by,
        retry_after=max(1, retry_after),
    )


class MemoryRateLimiter:
    """Counters in this process: right for the single-process embedded default."""

    def __init__(self) -> None:
        self._minute: tuple[int, dict[str, int]] = (-1, {})
        self._day: tuple[int, dict[str, int]] = (-1, {})
        self._failures: dict[tuple[str, int, int], int] = {}
        self._slots: dict[str, dict[str, float]] = {}

    def _counters(self, minute: int, day: int) -> tuple[dict[str, int], dict[str, int]]:
        if self._minute[0] != minute:
            self._minute = (minute, {})
        if self._day[0] != day:
            self._day = (day, {})
        return self._minute[1], self._day[1]

    async def admit(self, limits: Limits) -> Admission:
        now = time.time()
        minute, day, minute_left, day_left = _windows(now)
        per_minute, per_day = self._counters(minute, day)
        used_rpm = per_minute.get(limits.rpm_bucket, 0)
        if used_rpm >= limits.rpm:
            return _refusal(limits, "rpm", minute_left, used_rpm, minute_left)
        if per_day.get(limits.day_bucket, 0) >= limits.per_day:
            return _refusal(limits, "per_day", day_left, used_rpm, minute_left)
        slots = self._slots.setdefault(limits.concurrency_bucket, {})
        if len(slots) >= limits.concurrency:
            for token, expires in list(slots.items()):
                if expires < now:
                    del slots[token]
            if len(slots) >= limits.concurrency:
                return _refusal(limits, "concurrency", 1, used_rpm, minute_left)
        slot = secrets.token_hex(8)
        slots[slot] = now + SLOT_TTL_SECONDS
        per_minute[limits.rpm_bucket] = used_rpm + 1
        per_day[limits.day_bucket] = per_day.get(limits.day_bucket, 0) + 1
        return Admission(True, limits.rpm, limits.rpm - used_rpm - 1, minute_left, slot=slot)

    async def finish(self, bucket: str, slot: str) -> None:
        slots = self._slots.get(bucket)
        if slots is not None:
            slots.pop(slot, None)
            if not slots:
                del self._slots[bucket]

    async def note_failure(self, bucket: str, window: int) -> int:
        index = int(time.time() // window)
        if len(self._failures) > 100_000:
            self._failures = {k: v for k, v in self._failures.items() if k[2] >= index}
        key = (bucket, window, index)
        self._failures[key] = self._failures.get(key, 0) + 1
        return self._failures[key]

    async def failures(self, bucket: str, window: int) -> int:
        return self._failures.get((bucket, window, int(time.time() // window)), 0)

    async def aclose(self) -> None:
        return None


# KEYS: rpm counter, day counter, concurrency set.
# ARGV: rpm, per_day, concurrency, slot token, slot ttl, minute ttl, day ttl.
_ADMIT = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return {0, 'rpm', used} end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[2]) then
  return {0, 'per_day', used}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[3]) then return {0, 'concurrency', used} end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[4])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]))
used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6])) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], tonumber(ARGV[7])) end
return {1, 'ok', used}
"""

_FAIL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
return n
"""


class RedisRateLimiter:
    """Counters in Redis: one atomic script per admission, shared by every process."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "caicaini:rl:",
        client: Any = None,
        pool_size: int = 50,
        pool_timeout: float = 5.0,
    ) -> None:
        import redis.asyncio as redis

        # A blocking pool: a burst waits (bounded) for a connection instead of failing with
        # "Too many connections" the moment the pool is empty (``caicaini.capacity``).
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=pool_size, timeout=pool_timeout, socket_timeout=2
        )
        self.redis = client or redis.Redis.from_pool(pool)
        self.prefix = prefix
        self._admit = self.redis.register_script(_ADMIT)
        self._fail = self.redis.register_script(_FAIL)

    async def admit(self, limits: Limits) -> Admission:
        minute, day, minute_left, day_left = _windows(time.time())
        p = self.prefix
        slot = secrets.token_hex(8)
        keys = [
            f"{p}m:{limits.rpm_bucket}:{minute}",
            f"{p}d:{limits.day_bucket}:{day}",
            f"{p}c:{limits.concurrency_bucket}",
        ]
        args: list[int | str] = [
            limits.rpm,
            limits.per_day,
            limits.concurrency,
            slot,
            SLOT_TTL_SECONDS,
            MINUTE + 5,
            DAY + 60,
        ]
        ok, reason, used = await self._admit(keys=keys, args=args)
        used = int(used)
        if not int(ok):
            by = reason.decode() if isinstance(reason, bytes) else str(reason)
            retry = {"rpm": minute_left, "per_day": day_left}.get(by, 1)
            return _refusal(limits, by, retry, used, minute_left)
        return Admission(True, limits.rpm, max(0, limits.rpm - used), minute_left, slot=slot)

    async def finish(self, bucket: str, slot: str) -> None:
        await self.redis.zrem(f"{self.prefix}c:{bucket}", slot)

    async def note_failure(self, bucket: str, window: int) -> int:
        key = f"{self.prefix}f:{bucket}:{int(time.time() // window)}"
        return int(await self._fail(keys=[key], args=[window + 5]))

    async def failures(self, bucket: str, window: int) -> int:
        value = await self.redis.get(f"{self.prefix}f:{bucket}:{int(time.time() // window)}")
        return int(value or 0)

    async def aclose(self) -> None:
        await self.redis.aclose()


def build_rate_limiter(
    redis_url: str, *, pool_size: int = 50, pool_timeout: float = 5.0
) -> RateLimiter:
    if not redis_url:
        return MemoryRateLimiter()
    return RedisRateLimiter(redis_url, pool_size=pool_size, pool_timeout=pool_timeout)

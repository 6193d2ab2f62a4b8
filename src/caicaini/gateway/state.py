"""Per-process gateway state, built at start-up into ``ctx.extras["gateway"]``: the key cache,
short-lived plan/rate/guardrail lookups, the rate limiter, the last-used bookkeeping and, on
SQLite, the metering writer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from caicaini.api_keys.cache import KeyCache
from caicaini.context import AppContext
from caicaini.gateway.ratelimit import RateLimiter, build_rate_limiter
from caicaini.gateway.writer import SqliteWriter, build_writer
from caicaini.guardrails.service import GuardrailView
from caicaini.plans.views import AccountTerms, ModelRate

T = TypeVar("T")

LOOKUP_TTL_SECONDS = 5.0


class SingleFlight:
    """Concurrent loads of one thing share one load: when a cached key or rate expires under
    load, one query refills it instead of one per request in flight (each a database round
    trip, on SQLite a hop to aiosqlite's thread that waits for the busy event loop's GIL)."""

    def __init__(self) -> None:
        self._loading: dict[Any, asyncio.Future[Any]] = {}

    async def load(self, key: Any, loader: Callable[[], Awaitable[T]]) -> T:
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(loader())
            self._loading[key] = pending
            pending.add_done_callback(lambda _done: self._loading.pop(key, None))
        # Shielded: a caller going away does not cancel the load the others wait for.
        result: T = await asyncio.shield(pending)
        return result


class TTLCache(Generic[T]):
    """A tiny time-bounded memo for lookups that may be a few seconds stale (plan, rates)."""

    def __init__(self, ttl: float = LOOKUP_TTL_SECONDS, max_entries: int = 50_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Any, tuple[float, T]] = {}
        self._loads = SingleFlight()

    async def fetch(self, key: Any, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value, or ``load()``'s, stored; concurrent misses share one load."""
        value = self.get(key)
        if value is not None:
            return value

        async def fill() -> T:
            loaded = await load()
            self.put(key, loaded)
            return loaded

        return await self._loads.load(key, fill)

    def get(self, key: Any) -> T | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: Any, value: T) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, value)

    def discard(self, key: Any) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class GatewayState:
    limiter: RateLimiter
    keys: KeyCache = field(default_factory=KeyCache)
    rates: TTLCache[ModelRate] = field(default_factory=TTLCache)
    terms: TTLCache[AccountTerms] = field(default_factory=TTLCache)
    guardrails: TTLCache[GuardrailView] = field(default_factory=TTLCache)  # account caps, alert
    loads: SingleFlight = field(default_factory=SingleFlight)  # key lookups (``auth``)
    # Keep-alives on streams while upstream is silent (clients abort silent streams).
    ping_interval: float = 15.0
    # key id -> monotonic time its last_used_at was last written by this process
    touched: dict[str, float] = field(default_factory=dict)
    # SQLite only: metering transactions in one hop each (see caicaini.gateway.writer).
    writer: SqliteWriter | None = None

    async def aclose(self) -> None:
        from caicaini.gateway.guardrails import drain

        await drain()  # low-balance alerts in progress
        await self.limiter.aclose()
        if self.writer is not None:
            await self.writer.aclose()


def gateway_state(ctx: AppContext) -> GatewayState:
    state = ctx.extras.get("gateway")
    if state is None:
        settings = ctx.settings
        limiter = build_rate_limiter(
            settings.redis_url,
            pool_size=settings.redis_pool_size,
            pool_timeout=settings.redis_pool_timeout_seconds,
        )
        state = GatewayState(limiter=limiter, writer=build_writer(ctx.db.url))
        ctx.extras["gateway"] = state
    assert isinstance(state, GatewayState)
    return state


async def startup(ctx: AppContext) -> None:
    gateway_state(ctx)

"""Start-up hook: with Redis configured, the key-invalidation channel in
``ctx.extras["key_invalidations"]`` (closed by ``ctx.close()``)."""

from __future__ import annotations

from caicaini.api_keys.broadcast import InvalidationChannel
from caicaini.context import AppContext


async def startup(ctx: AppContext) -> None:
    """A server: publishes its invalidations and evicts the others'."""
    await open_channel(ctx, listen=True)


async def open_channel(ctx: AppContext, *, listen: bool) -> None:
    """``listen=False`` for a process without key caches (the job worker): publish only."""
    if not ctx.settings.redis_url or "key_invalidations" in ctx.extras:
        return
    channel = InvalidationChannel(ctx.settings.redis_url)
    await channel.start(listen=listen)
    ctx.extras["key_invalidations"] = channel

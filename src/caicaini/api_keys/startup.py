"""Start-up hook: with Redis configured, the key-invalidation channel in
``ctx.extras["key_invalidations"]`` (closed by ``ctx.close()``)."""

from __future__ import annotations

from caicaini.api_keys.broadcast import InvalidationChannel
from caicaini.context import AppContext


async def startup(ctx: AppContext) -> None:
    if not ctx.settings.redis_url or "key_invalidations" in ctx.extras:
        return
    channel = InvalidationChannel(ctx.settings.redis_url)
    await channel.start()
    ctx.extras["key_invalidations"] = channel

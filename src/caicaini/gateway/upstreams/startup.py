"""Start-up hook: the provider registry in ``ctx.extras["providers"]`` (closed by
``ctx.close()``, which calls its ``aclose()``)."""

from __future__ import annotations

from caicaini.context import AppContext
from caicaini.gateway.upstreams.registry import build_providers
from caicaini.logs import get_logger

log = get_logger(__name__)


async def startup(ctx: AppContext) -> None:
    if "providers" in ctx.extras:  # a test may have installed its own
        return
    registry = build_providers(ctx.settings)
    ctx.extras["providers"] = registry
    labels = sorted({p.label for p in registry.providers})
    log.info("gateway.providers_ready", providers=labels, demo=registry.demo)

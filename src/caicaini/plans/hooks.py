"""``after_migrate``: install the default catalogue when no price sheet exists yet."""

from __future__ import annotations

from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.plans.catalogue import default_catalogue
from caicaini.plans.repository import PlanRepository

log = get_logger(__name__)


async def install_default_catalogue(ctx: AppContext) -> bool:
    async with ctx.transaction() as session:
        repo = PlanRepository(session)
        if await repo.latest_version() is not None:
            return False
        now = ctx.clock.now()
        await repo.insert(
            default_catalogue(),
            version=1,
            effective_at=now,
            published_at=now,
            classification="initial",
            published_by=None,
        )
    log.info("plans.catalogue_installed", version=1)
    return True


async def after_migrate(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)

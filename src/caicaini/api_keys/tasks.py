"""Key jobs: remind owners to rotate keys older than 90 days (once per key)."""

from __future__ import annotations

from datetime import timedelta

from caicaini.api_keys.service import ApiKeyService
from caicaini.context import AppContext
from caicaini.worker.scheduler import Job


async def rotation_reminders(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        await ApiKeyService(session, ctx.clock).send_rotation_reminders(ctx.settings.public_url)


JOBS = [Job("api_keys.rotation_reminders", timedelta(hours=6), rotation_reminders)]

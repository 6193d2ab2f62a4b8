"""Mail jobs: deliver the outbox every few seconds; purge mail sent longer ago than
``mail_retention_days`` (the privacy page states the period) every hour."""

from __future__ import annotations

from datetime import timedelta

from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.mail.repository import OutboxRepository
from caicaini.mail.sender import deliver_outbox
from caicaini.worker.scheduler import Job

log = get_logger(__name__)


async def send_outbox(ctx: AppContext) -> None:
    await deliver_outbox(ctx)


async def purge_sent(ctx: AppContext) -> int:
    before = ctx.clock.now() - timedelta(days=ctx.settings.mail_retention_days)
    async with ctx.transaction() as session:
        purged = await OutboxRepository(session).purge_done(before)
    if purged:
        log.info("mail.purged", count=purged)
    return purged


JOBS = [
    Job("mail.send_outbox", timedelta(seconds=5), send_outbox),
    Job("mail.purge_sent", timedelta(hours=1), purge_sent),
]

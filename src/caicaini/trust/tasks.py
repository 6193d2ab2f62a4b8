"""Trust jobs: erase the sign-up and login signals (IP addresses, device hashes) of accounts
closed longer ago than the audit retention, as the privacy policy says (daily)."""

from __future__ import annotations

from datetime import timedelta

from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.trust.repository import SignalRepository
from caicaini.worker.scheduler import Job

log = get_logger(__name__)


async def erase_closed_signals(ctx: AppContext) -> None:
    cutoff = ctx.clock.now() - timedelta(days=ctx.settings.audit_retention_days)
    async with ctx.transaction() as session:
        count = await SignalRepository(session).erase_closed_before(cutoff)
    if count:
        log.info("trust.signals_erased", rows=count)


JOBS = [Job("trust.erase_closed_signals", timedelta(hours=24), erase_closed_signals)]

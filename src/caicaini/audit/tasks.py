"""Audit jobs: anonymise the personal fields of accounts closed over a year ago (daily)."""

from __future__ import annotations

from datetime import timedelta

from caicaini.audit.service import AuditService
from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.worker.scheduler import Job

log = get_logger(__name__)


async def anonymise(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        retention = timedelta(days=ctx.settings.audit_retention_days)
        count = await AuditService(session, ctx.clock).anonymise_closed_accounts(retention)
    if count:
        log.info("audit.anonymised", rows=count)


JOBS = [Job("audit.anonymise_closed", timedelta(hours=24), anonymise)]

"""Ledger jobs: the hold sweeper and month-end expiry.

- ``ledger.sweep_holds`` (every minute): holds past their time-to-live, left by a crash, are
  released if no upstream call was recorded as started, otherwise settled at one message unit;
  the resolution is stored on the hold.
- ``ledger.expire_grants`` (every minute; the work is there at 00:00 UTC on the 1st for
  subscription grants): expires what is left of grants past their expiry. Credits held by
  in-flight requests stay held and expire when they come back.

Each account is handled in its own transaction, so one failure does not stop the rest, and
both jobs are idempotent: a second run finds nothing to do.
"""

from __future__ import annotations

from datetime import timedelta

from caicaini.context import AppContext
from caicaini.ledger.repository import LedgerRepository
from caicaini.ledger.service import LedgerService
from caicaini.logs import get_logger
from caicaini.worker.scheduler import Job

log = get_logger(__name__)

BATCH = 200


async def sweep_holds(ctx: AppContext) -> int:
    async with ctx.transaction() as session:
        due = await LedgerRepository(session).expired_holds(ctx.clock.now(), BATCH)
    for request_id, account_id in due:
        async with ctx.transaction() as session:
            outcome = await LedgerService(session, ctx.clock).resolve_abandoned(request_id)
        if outcome:
            log.info(
                "ledger.hold_swept", request_id=request_id, account_id=account_id, outcome=outcome
            )
    return len(due)


async def expire_grants(ctx: AppContext) -> int:
    total = 0
    async with ctx.transaction() as session:
        accounts = await LedgerRepository(session).accounts_with_due_expiry(ctx.clock.now(), BATCH)
    for account_id in accounts:
        async with ctx.transaction() as session:
            expired = await LedgerService(session, ctx.clock).expire_due(account_id)
        total += expired
        log.info("ledger.grants_expired", account_id=account_id, credits=expired)
    return total


JOBS = [
    Job("ledger.sweep_holds", timedelta(minutes=1), sweep_holds),
    Job("ledger.expire_grants", timedelta(minutes=1), expire_grants),
]

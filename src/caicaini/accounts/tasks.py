"""Account housekeeping: drop expired web sessions and login failures past their window."""

from __future__ import annotations

from datetime import timedelta

from caicaini.accounts.repository import AccountRepository
from caicaini.context import AppContext
from caicaini.worker.scheduler import Job


async def prune(ctx: AppContext) -> None:
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        repo = AccountRepository(session)
        await repo.delete_expired_sessions(now)
        await repo.prune_failures(now - timedelta(seconds=ctx.settings.login_window_seconds))


JOBS = [Job("accounts.prune_sessions", timedelta(hours=1), prune)]

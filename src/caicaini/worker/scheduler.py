"""A small scheduler for periodic and one-off jobs, safe to run in several processes at once.

Periodic jobs run once per *slot* (the interval's start time). A process claims a slot by
inserting ``(name, slot)`` into ``job_runs``; the unique key lets exactly one process win,
on SQLite and PostgreSQL alike, so a job never runs twice for the same slot. Jobs are
written to be idempotent as well, so a slot lost to a crash is caught up by the next one.

One-off jobs sit in ``job_queue`` and are claimed with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (SQLite's write lock serialises claims); a claim carries a lease so a job held
by a dead process is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.models.jobs import JobRun, QueuedJob

log = get_logger(__name__)

JobFn = Callable[[AppContext], Awaitable[Any]]
HandlerFn = Callable[[AppContext, dict[str, Any]], Awaitable[Any]]

QUEUE_LEASE = timedelta(minutes=5)
QUEUE_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run(ctx)`` once per ``every``."""

    name: str
    every: timedelta
    run: JobFn

    def slot(self, now: datetime) -> str:
        step = int(self.every.total_seconds())
        start = int(now.timestamp()) // step * step
        return datetime.fromtimestamp(start, UTC).isoformat()


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any],
    *,
    run_at: datetime,
    dedupe_key: str | None = None,
) -> None:
    """Queue a one-off job in the caller's transaction: it exists only if that commits."""
    if dedupe_key is not None:
        existing = await session.scalar(
            select(QueuedJob.id).where(QueuedJob.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return
    session.add(QueuedJob(name=name, payload=payload, run_at=run_at, dedupe_key=dedupe_key))
    await session.flush()


class Scheduler:
    def __init__(
        self,
        ctx: AppContext,
        jobs: list[Job],
        handlers: dict[str, HandlerFn] | None = None,
        *,
        owner: str | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        self.ctx = ctx
        self.jobs = jobs
        self.handlers = handlers or {}
        self.owner = owner or default_owner()
        self.tick_seconds = tick_seconds

    async def run_due(self) -> list[str]:
        """Run every periodic job whose current slot nobody has claimed, then the queue.
        Returns the names of what this process ran."""
        ran: list[str] = []
        for job in self.jobs:
            slot = job.slot(self.ctx.clock.now())
            run_id = await self._claim_slot(job.name, slot)
            if run_id is None:
                continue
            await self._execute(job.name, run_id, job.run(self.ctx))
            ran.append(job.name)
        ran.extend(await self.run_queue())
        return ran

    async def run_queue(self, limit: int = 20) -> list[str]:
        ran: list[str] = []
        for _ in range(limit):
            claimed = await self._claim_queued()
            if claimed is None:
                break
            job_id, name, payload = claimed
            await self._run_queued(job_id, name, payload)
            ran.append(name)
        return ran

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("scheduler.started", owner=self.owner, jobs=[j.name for j in self.jobs])
        while not stop.is_set():
            try:
                await self.run_due()
            except Exception as exc:  # a broken tick must not kill the loop
                log.error("scheduler.tick_failed", error=type(exc).__name__, exc_info=exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.tick_seconds)
        log.info("scheduler.stopped", owner=self.owner)

    async def _claim_slot(self, name: str, slot: str) -> int | None:
        try:
            async with self.ctx.transaction() as session:
                run = JobRun(
                    name=name, slot=slot, owner=self.owner, started_at=self.ctx.clock.now()
                )
                session.add(run)
                await session.flush()
                return run.id
        except IntegrityError:
            return None

    async def _execute(self, name: str, run_id: int, work: Awaitable[Any]) -> None:
        status, error = "succeeded", None
        try:
            await work
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
            log.error("scheduler.job_failed", job=name, error=type(exc).__name__, exc_info=exc)
        async with self.ctx.transaction() as session:
            run = await session.get(JobRun, run_id)
            if run is not None:
                run.status, run.error, run.finished_at = status, error, self.ctx.clock.now()

    async def _claim_queued(self) -> tuple[int, str, dict[str, Any]] | None:
        now = self.ctx.clock.now()
        async with self.ctx.transaction() as session:
            stmt = (
                select(QueuedJob)
                .where(
                    QueuedJob.run_at <= now,
                    or_(
                        QueuedJob.status == "queued",
                        (QueuedJob.status == "running") & (QueuedJob.locked_until < now),
                    ),
                )
                .order_by(QueuedJob.run_at, QueuedJob.id)
                .limit(1)
            )
            if not self.ctx.db.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            job = await session.scalar(stmt)
            if job is None:
                return None
            job.status, job.locked_by = "running", self.owner
            job.locked_until = now + QUEUE_LEASE
            job.attempts += 1
            return job.id, job.name, dict(job.payload)

    async def _run_queued(self, job_id: int, name: str, payload: dict[str, Any]) -> None:
        handler = self.handlers.get(name)
        status, error = "done", None
        try:
            if handler is None:
                raise LookupError(f"no handler for job {name!r}")
            await handler(self.ctx, payload)
        except Exception as exc:
            status, error = "queued", f"{type(exc).__name__}: {exc}"[:500]
            log.error("scheduler.queued_job_failed", job=name, error=type(exc).__name__)
        async with self.ctx.transaction() as session:
            job = await session.get(QueuedJob, job_id)
            if job is None:
                return
            job.last_error, job.locked_by, job.locked_until = error, None, None
            if status == "queued" and job.attempts >= QUEUE_MAX_ATTEMPTS:
                status = "failed"
            if status == "queued":
                job.run_at = self.ctx.clock.now() + timedelta(seconds=30 * 2**job.attempts)
            job.status = status

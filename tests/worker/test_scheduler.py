"""The scheduler: periodic jobs run once per slot, one-off jobs once each, even with several
processes running it against the same database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.worker.scheduler import Job, Scheduler, enqueue
from tests.conftest import make_settings

HERE = Path(__file__).parent


async def test_a_periodic_job_runs_once_per_slot(ctx: AppContext, clock: FrozenClock) -> None:
    runs: list[str] = []

    async def job(_ctx: AppContext) -> None:
        runs.append(clock.now().isoformat())

    first = Scheduler(ctx, [Job("example", timedelta(minutes=5), job)], owner="a")
    second = Scheduler(ctx, [Job("example", timedelta(minutes=5), job)], owner="b")
    assert await first.run_due() == ["example"]
    assert await second.run_due() == []
    clock.advance(timedelta(minutes=5))
    assert await second.run_due() == ["example"]
    assert len(runs) == 2


async def test_a_failing_job_is_recorded_and_does_not_stop_others(ctx: AppContext) -> None:
    ran: list[str] = []

    async def broken(_ctx: AppContext) -> None:
        raise RuntimeError("boom")

    async def fine(_ctx: AppContext) -> None:
        ran.append("fine")

    scheduler = Scheduler(
        ctx, [Job("broken", timedelta(minutes=1), broken), Job("fine", timedelta(minutes=1), fine)]
    )
    assert await scheduler.run_due() == ["broken", "fine"]
    assert ran == ["fine"]


async def test_queued_jobs_run_once_and_failures_are_retried_later(
    ctx: AppContext, clock: FrozenClock
) -> None:
    seen: list[int] = []
    attempts = Counter[int]()

    async def handler(_ctx: AppContext, payload: dict[str, object]) -> None:
        n = int(str(payload["n"]))
        attempts[n] += 1
        if n == 2 and attempts[n] == 1:
            raise RuntimeError("transient")
        seen.append(n)

    async with ctx.transaction() as session:
        for n in range(3):
            await enqueue(session, "example", {"n": n}, run_at=clock.now(), dedupe_key=f"ex-{n}")
        await enqueue(session, "example", {"n": 0}, run_at=clock.now(), dedupe_key="ex-0")
    scheduler = Scheduler(ctx, [], {"example": handler})
    await scheduler.run_queue()
    assert sorted(seen) == [0, 1]
    clock.advance(timedelta(hours=1))
    await scheduler.run_queue()
    assert sorted(seen) == [0, 1, 2]
    assert await scheduler.run_queue() == []


def test_two_processes_never_run_the_same_job_twice(postgres_url: str, tmp_path: Path) -> None:
    """Two real processes share one PostgreSQL database for a few seconds."""

    async def queue_work() -> None:
        context = AppContext.from_settings(make_settings(postgres_url, tmp_path))
        async with context.transaction() as session:
            await session.execute(text("DELETE FROM job_queue"))
            await session.execute(text("DELETE FROM job_runs"))
            for n in range(60):
                await enqueue(session, "test.one_off", {"n": n}, run_at=context.clock.now())
        await context.close()

    asyncio.run(queue_work())
    output = tmp_path / "runs.txt"
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "scheduler_process.py"), postgres_url, str(output), "3.5"]
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    lines = output.read_text().splitlines()
    queued = [line for line in lines if line.startswith("queued ")]
    assert sorted(Counter(queued).values()) == [1] * 60  # each one-off ran exactly once
    # One run per claimed slot. (The job logs the slot of the moment it runs, which on a busy
    # machine may already be the next one, so lines are counted against claims, not compared.)
    periodic = [line for line in lines if line.startswith("periodic ")]
    assert len(periodic) >= 3
    assert len(periodic) == asyncio.run(_claimed_slots(postgres_url, tmp_path, "tick"))


async def _claimed_slots(url: str, tmp_path: Path, name: str) -> int:
    context = AppContext.from_settings(make_settings(url, tmp_path))
    try:
        async with context.transaction() as session:
            found = await session.execute(
                text("SELECT count(*) FROM job_runs WHERE name = :name"), {"name": name}
            )
            return int(found.scalar_one())
    finally:
        await context.close()

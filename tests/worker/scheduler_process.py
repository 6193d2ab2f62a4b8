"""Runs a scheduler in its own process for the multi-process test.

usage: scheduler_process.py DATABASE_URL OUTPUT_FILE SECONDS
Every job execution appends "<kind> <id>" to OUTPUT_FILE (O_APPEND keeps lines whole).
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.worker.scheduler import Job, Scheduler


def main() -> None:
    url, output, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])

    def write(line: str) -> None:
        fd = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    async def periodic(ctx: AppContext) -> None:
        write(f"periodic {Job('tick', timedelta(seconds=1), periodic).slot(ctx.clock.now())}")

    async def one_off(_ctx: AppContext, payload: dict[str, object]) -> None:
        write(f"queued {payload['n']}")

    async def run() -> None:
        settings = Settings(env="test", database_url=url, run_jobs_in_process=False)
        ctx = AppContext.from_settings(settings)
        scheduler = Scheduler(
            ctx,
            [Job("tick", timedelta(seconds=1), periodic)],
            {"test.one_off": one_off},
            tick_seconds=0.02,
        )
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await scheduler.run_forever(stop)
        await ctx.close()

    asyncio.run(run())


if __name__ == "__main__":
    main()

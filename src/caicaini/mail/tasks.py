"""Mail jobs: deliver the outbox every few seconds."""

from __future__ import annotations

from datetime import timedelta

from caicaini.context import AppContext
from caicaini.mail.sender import deliver_outbox
from caicaini.worker.scheduler import Job


async def send_outbox(ctx: AppContext) -> None:
    await deliver_outbox(ctx)


JOBS = [Job("mail.send_outbox", timedelta(seconds=5), send_outbox)]

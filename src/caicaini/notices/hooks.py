"""``after_migrate``: record the shipped Terms of Service as version 1 when none is recorded,
so acceptances have a version to point at."""

from __future__ import annotations

from importlib import resources

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.notices.repository import NoticeRepository
from caicaini.notices.terms import TermsService


def shipped_terms_text() -> str:
    try:
        return (
            resources.files("caicaini.web")
            .joinpath("content/terms-of-service.txt")
            .read_text("utf-8")
        )
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


async def after_migrate(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        if await NoticeRepository(session).terms_count() > 0:
            return
        await TermsService(session, ctx.clock, ctx.settings.public_url).publish(
            shipped_terms_text(),
            effective_at=None,
            material=False,
            summary="Terms of Service as shipped.",
            actor=Actor.system(),
        )

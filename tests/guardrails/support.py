"""Helpers for guardrail tests: setting caps and alerts as the owner would."""

from __future__ import annotations

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.gateway.guardrails import forget
from caicaini.guardrails.service import GuardrailService


async def set_account_caps(
    ctx: AppContext, account_id: str, *, daily: int | None = None, monthly: int | None = None
) -> None:
    async with ctx.transaction() as session:
        await GuardrailService(session, ctx.clock).set_caps(
            account_id, daily=daily, monthly=monthly, actor=Actor("account", account_id)
        )
    forget(ctx, account_id)


async def set_alert(
    ctx: AppContext, account_id: str, *, threshold: int | None, enabled: bool = True
) -> None:
    async with ctx.transaction() as session:
        await GuardrailService(session, ctx.clock).set_alert(
            account_id, enabled=enabled, threshold=threshold, actor=Actor("account", account_id)
        )
    forget(ctx, account_id)

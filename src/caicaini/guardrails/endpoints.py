"""The guardrails API for the owner (session auth; changes carry the CSRF token):

    GET /api/v1/guardrails                     caps, what they count now, the alert
    PUT /api/v1/guardrails/spend-caps          {"daily_credit_cap", "monthly_credit_cap"}
    PUT /api/v1/guardrails/low-balance-alert   {"enabled", "threshold"}
    GET /api/v1/keys/{id}/spend-caps           one key's caps and what they count
    PUT /api/v1/keys/{id}/spend-caps           {"daily_credit_cap", "monthly_credit_cap"}

``null`` lifts a cap (or, for the threshold, means the default).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from caicaini.accounts.deps import CurrentAccount, current_account, require_csrf
from caicaini.api_keys.service import ApiKeyService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.gateway.guardrails import forget
from caicaini.guardrails.service import CapStatus, GuardrailService, Spending
from caicaini.http.deps import app_context, client_ip
from caicaini.kit.credits import MAX_CREDITS

router = APIRouter(tags=["guardrails"])


class SpendCaps(BaseModel):
    daily_credit_cap: int | None = Field(default=None, ge=0, le=MAX_CREDITS)
    monthly_credit_cap: int | None = Field(default=None, ge=0, le=MAX_CREDITS)


class LowBalanceAlert(BaseModel):
    enabled: bool = True
    threshold: int | None = Field(default=None, ge=0, le=MAX_CREDITS)


def _cap(status: CapStatus) -> dict[str, object]:
    return {
        "credits": status.cap,
        "spent": status.spent,
        "resets_at": status.resets_at.isoformat(),
    }


def spending_json(spending: Spending, *, alert: bool = True) -> dict[str, object]:
    out: dict[str, object] = {
        "spend_caps": {"daily": _cap(spending.daily), "monthly": _cap(spending.monthly)}
    }
    if alert:
        out["low_balance_alert"] = {
            "enabled": spending.alerts,
            "threshold": spending.effective_threshold,
            "default_threshold": spending.default_threshold,
            "custom": spending.threshold is not None,
        }
    return out


def _actor(me: CurrentAccount, request: Request) -> Actor:
    return Actor("account", me.id, client_ip(request))


@router.get("/api/v1/guardrails")
async def get_guardrails(
    ctx: AppContext = Depends(app_context), me: CurrentAccount = Depends(current_account)
) -> dict[str, object]:
    async with ctx.read() as session:
        return spending_json(await GuardrailService(session, ctx.clock).spending(me.id))


@router.put("/api/v1/guardrails/spend-caps")
async def put_spend_caps(
    body: SpendCaps,
    request: Request,
    ctx: AppContext = Depends(app_context),
    me: CurrentAccount = Depends(require_csrf),
) -> dict[str, object]:
    async with ctx.transaction() as session:
        service = GuardrailService(session, ctx.clock)
        await service.set_caps(
            me.id, daily=body.daily_credit_cap, monthly=body.monthly_credit_cap,
            actor=_actor(me, request),
        )  # fmt: skip
        spending = await service.spending(me.id)
    forget(ctx, me.id)
    return spending_json(spending)


@router.put("/api/v1/guardrails/low-balance-alert")
async def put_low_balance_alert(
    body: LowBalanceAlert,
    request: Request,
    ctx: AppContext = Depends(app_context),
    me: CurrentAccount = Depends(require_csrf),
) -> dict[str, object]:
    async with ctx.transaction() as session:
        service = GuardrailService(session, ctx.clock)
        await service.set_alert(
            me.id, enabled=body.enabled, threshold=body.threshold, actor=_actor(me, request)
        )
        spending = await service.spending(me.id)
    forget(ctx, me.id)
    return spending_json(spending)


@router.get("/api/v1/keys/{key_id}/spend-caps")
async def get_key_caps(
    key_id: str,
    ctx: AppContext = Depends(app_context),
    me: CurrentAccount = Depends(current_account),
) -> dict[str, object]:
    async with ctx.read() as session:
        await ApiKeyService(session, ctx.clock).owned(me.id, key_id)
        spending = await GuardrailService(session, ctx.clock).spending(me.id, key_id=key_id)
    return spending_json(spending, alert=False)


@router.put("/api/v1/keys/{key_id}/spend-caps")
async def put_key_caps(
    key_id: str,
    body: SpendCaps,
    request: Request,
    ctx: AppContext = Depends(app_context),
    me: CurrentAccount = Depends(require_csrf),
) -> dict[str, object]:
    async with ctx.transaction() as session:
        await ApiKeyService(session, ctx.clock).set_caps(
            me.id, key_id, daily=body.daily_credit_cap, monthly=body.monthly_credit_cap,
            actor=_actor(me, request),
        )  # fmt: skip
        spending = await GuardrailService(session, ctx.clock).spending(me.id, key_id=key_id)
    return spending_json(spending, alert=False)

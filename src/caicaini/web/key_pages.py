"""API keys page: list, create (the key shown once), revoke with confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts import csrf
from caicaini.accounts.deps import CurrentAccount, current_account
from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.guardrails.service import parse_credits
from caicaini.http.deps import app_context, client_ip
from caicaini.models.api_keys import ApiKey
from caicaini.plans.service import PlanService
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


def key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    if key.disabled_at is not None:
        return "disabled"
    return "active"


def snippet_models(rates: dict[str, int]) -> dict[str, str]:
    """Models of the plan for the snippets: Claude Code's main model (the dearest Claude
    model) and its small, fast one (the cheapest), and a model for the OpenAI snippet (a Kimi
    one when the plan has it: any model works through either format). Claude Code's own
    default model is not in the catalogue, so its snippet must name both."""
    by_rate = sorted(rates, key=lambda m: (rates[m], m))
    claude = [m for m in by_rate if m.startswith("claude-")] or by_rate
    kimi = [m for m in by_rate if m.startswith("kimi-")] or by_rate
    if not by_rate:
        return {}
    return {"main": claude[-1], "small": claude[0], "openai": kimi[-1], "cheap": by_rate[0]}


async def keys_context(ctx: AppContext, me: CurrentAccount) -> dict[str, Any]:
    async with ctx.transaction() as session:
        terms = await PlanService(session, ctx.clock).terms_for(me.id)
        keys = await ApiKeyService(session, ctx.clock).list_keys(me.id)
    now = ctx.clock.now()
    return {
        "plan": terms.plan,
        "models": snippet_models(terms.plan.rates),
        "keys": [(k, key_status(k, now)) for k in keys],
        "base_url": ctx.settings.public_url.rstrip("/"),
    }


@router.get("/keys", response_class=HTMLResponse)
async def keys_page(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    context = await keys_context(app_context(request), me)
    context["revoked"] = request.query_params.get("revoked") == "1"
    return render(request, "keys.html", context)


def _expiry(value: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise InvalidInput("the expiry date must look like 2027-01-31", field="expires") from exc
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@router.post("/keys", response_class=HTMLResponse)
async def create_key(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    ctx = app_context(request)
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))
    context = await keys_context(ctx, me)
    remember_form(request, "keys.html", {**context, "form": form})
    options = KeyOptions(
        name=form.get("name") or "default",
        expires_at=_expiry(form.get("expires", "")),
        daily_credit_cap=parse_credits(form.get("daily_credit_cap"), "daily_credit_cap"),
        monthly_credit_cap=parse_credits(form.get("monthly_credit_cap"), "monthly_credit_cap"),
    )
    async with ctx.transaction() as session:
        key, secret = await ApiKeyService(session, ctx.clock).create(
            me.id, options, actor=Actor("account", me.id, client_ip(request))
        )
    context = await keys_context(ctx, me)
    response = render(request, "keys.html", {**context, "new_key": key, "secret": secret})
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/keys/{key_id}/revoke", response_class=HTMLResponse)
async def confirm_revoke(
    key_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        key = await ApiKeyService(session, ctx.clock).owned(me.id, key_id)
    return render(request, "key_revoke.html", {"key": key})


@router.post("/keys/{key_id}/revoke")
async def revoke_key(
    key_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await request.form()
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))  # type: ignore[arg-type]
    async with ctx.transaction() as session:
        await ApiKeyService(session, ctx.clock).revoke(
            me.id, key_id, actor=Actor("account", me.id, client_ip(request))
        )
    return RedirectResponse("/keys?revoked=1", status_code=303)

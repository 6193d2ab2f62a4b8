"""Guardrail forms: the account's spend caps and low-balance alert (on the settings page) and
each key's spend caps (``/keys/{id}/caps``). The settings and dashboard pages take their parts
from ``guardrail_context`` and ``low_balance_context``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts import csrf
from caicaini.accounts.deps import CurrentAccount, current_account
from caicaini.api_keys.service import ApiKeyService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.gateway.guardrails import forget
from caicaini.guardrails.service import GuardrailService, parse_credits
from caicaini.http.deps import app_context, client_ip
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


async def guardrail_context(ctx: AppContext, me: CurrentAccount) -> dict[str, Any]:
    """What the settings page's spend-cap and alert forms show."""
    async with ctx.read() as session:
        return {"spending": await GuardrailService(session, ctx.clock).spending(me.id)}


async def low_balance_context(ctx: AppContext, account_id: str, balance: int) -> dict[str, Any]:
    """``low_balance``: the threshold when the banner shows (balance at or under it)."""
    async with ctx.read() as session:
        threshold = await GuardrailService(session, ctx.clock).banner(account_id, balance)
    return {"low_balance": threshold, "balance": balance}


async def _form(request: Request, me: CurrentAccount, form_name: str) -> dict[str, str]:
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    ctx = app_context(request)
    remember_form(
        request,
        "settings.html",
        {**await guardrail_context(ctx, me), "form_name": form_name, "form": form},
    )
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))
    return form


def _actor(me: CurrentAccount, request: Request) -> Actor:
    return Actor("account", me.id, client_ip(request))


@router.post("/settings/spend-caps")
async def save_spend_caps(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await _form(request, me, "spend-caps")
    daily = parse_credits(form.get("daily_credit_cap"), "daily_credit_cap")
    monthly = parse_credits(form.get("monthly_credit_cap"), "monthly_credit_cap")
    async with ctx.transaction() as session:
        await GuardrailService(session, ctx.clock).set_caps(
            me.id, daily=daily, monthly=monthly, actor=_actor(me, request)
        )
    forget(ctx, me.id)
    return RedirectResponse("/settings?done=spend-caps#spend-caps", status_code=303)


@router.post("/settings/low-balance")
async def save_low_balance(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await _form(request, me, "low-balance")
    threshold = parse_credits(form.get("threshold"), "threshold")
    async with ctx.transaction() as session:
        await GuardrailService(session, ctx.clock).set_alert(
            me.id, enabled=form.get("enabled") == "on", threshold=threshold,
            actor=_actor(me, request),
        )  # fmt: skip
    forget(ctx, me.id)
    return RedirectResponse("/settings?done=low-balance#low-balance", status_code=303)


async def _key_context(ctx: AppContext, me: CurrentAccount, key_id: str) -> dict[str, Any]:
    async with ctx.read() as session:
        key = await ApiKeyService(session, ctx.clock).owned(me.id, key_id)
        spending = await GuardrailService(session, ctx.clock).spending(me.id, key_id=key_id)
    return {"key": key, "spending": spending}


@router.get("/keys/{key_id}/caps", response_class=HTMLResponse)
async def key_caps_page(
    key_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    context = await _key_context(app_context(request), me, key_id)
    context["saved"] = request.query_params.get("saved") == "1"
    return render(request, "key_caps.html", context)


@router.post("/keys/{key_id}/caps")
async def save_key_caps(
    key_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    remember_form(request, "key_caps.html", {**await _key_context(ctx, me, key_id), "form": form})
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))
    daily = parse_credits(form.get("daily_credit_cap"), "daily_credit_cap")
    monthly = parse_credits(form.get("monthly_credit_cap"), "monthly_credit_cap")
    async with ctx.transaction() as session:
        await ApiKeyService(session, ctx.clock).set_caps(
            me.id, key_id, daily=daily, monthly=monthly, actor=_actor(me, request)
        )
    return RedirectResponse(f"/keys/{key_id}/caps?saved=1", status_code=303)

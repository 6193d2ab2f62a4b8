"""The dashboard (``/dashboard``): the account at a glance.

Balance by grant with expiry dates, credits used today and this month, a 30-day chart of
credits per UTC day by model (Chart.js, vendored; the same figures as a table for readers
without the chart), the latest messages, notices (price changes with their effective dates,
credit adjustments...), the Terms versions awaiting acceptance with an accept button, and the
low-balance banner.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts import csrf
from caicaini.accounts.countries import COUNTRIES
from caicaini.accounts.deps import CurrentAccount, current_account
from caicaini.accounts.service import AccountService
from caicaini.context import AppContext
from caicaini.http.deps import app_context
from caicaini.ledger.service import LedgerService
from caicaini.notices.service import NoticeService
from caicaini.notices.terms import TermsService
from caicaini.plans.catalogue import FREE_PLAN
from caicaini.plans.errors import NoPriceSheet
from caicaini.plans.service import PlanService
from caicaini.trust.service import TrustService
from caicaini.usage.service import UsageService
from caicaini.web.guardrail_pages import low_balance_context
from caicaini.web.rendering import render

router = APIRouter(include_in_schema=False)

NOTICES_SHOWN = 5


async def _notices(ctx: AppContext, account_id: str) -> dict[str, Any]:
    async with ctx.read() as session:
        notices = await NoticeService(session, ctx.clock, ctx.settings.public_url).list_for(
            account_id, limit=NOTICES_SHOWN
        )
        terms = await TermsService(session, ctx.clock, ctx.settings.public_url).awaiting_acceptance(
            account_id
        )
        scheduled = await PlanService(session, ctx.clock).scheduled_sheets()
    noticed = {n.effective_at for n in notices if n.kind == "price_change"}
    return {
        "notices": notices,
        "terms_pending": terms,
        # Announced price sheets this account got no notice of (nothing it has changes).
        "price_changes": [s for s in scheduled if s.effective_at not in noticed],
    }


async def _second_free_account(ctx: AppContext, account_id: str) -> bool:
    """The free allowance is one per person: a later free account on a device already seen
    gets none, and is told why."""
    async with ctx.read() as session:
        try:
            plan = (await PlanService(session, ctx.clock).terms_for(account_id)).plan
        except NoPriceSheet:
            return False
        trust = TrustService(session, ctx.clock)
        return plan.name == FREE_PLAN and await trust.is_second_free_account(account_id)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    ctx = app_context(request)
    async with ctx.read() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).get(me.id)
        ledger = LedgerService(session, ctx.clock)
        balance = int(await ledger.balance(me.id))
        grants = [g for g in await ledger.grants(me.id) if g.active and g.remaining > 0]
        usage = await UsageService(session, ctx.clock).dashboard(me.id)
        key_names = await UsageService(session, ctx.clock).key_names(me.id)
    return render(
        request,
        "dashboard.html",
        {
            **await low_balance_context(ctx, me.id, balance),
            **await _notices(ctx, me.id),
            "profile": account,
            "country_name": COUNTRIES.get(account.country, account.country),
            "balance": balance,
            "grants": grants,
            "second_free_account": await _second_free_account(ctx, me.id),
            "usage": usage,
            "chart": usage.chart.as_json(),
            "key_names": key_names,
            "now": ctx.clock.now(),
            "sent": request.query_params.get("sent") == "1",
            "accepted": request.query_params.get("accepted"),
        },
    )


async def _checked_form(request: Request, me: CurrentAccount) -> None:
    csrf.check_session_token(me.csrf_token, (await request.form()).get(csrf.FIELD))  # type: ignore[arg-type]


@router.post("/dashboard/resend-verification")
async def resend_verification(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    await _checked_form(request, me)
    async with ctx.transaction() as session:
        service = AccountService(session, ctx.clock, ctx.settings)
        account = await service.get(me.id)
        if account.email_verified_at is None:
            await service.send_verification(account)
    return RedirectResponse("/dashboard?sent=1", status_code=303)


@router.post("/dashboard/terms/{version}/accept")
async def accept_terms(
    version: int, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    await _checked_form(request, me)
    async with ctx.transaction() as session:
        await TermsService(session, ctx.clock, ctx.settings.public_url).accept(me.id, version)
    return RedirectResponse(f"/dashboard?accepted={version}", status_code=303)


@router.post("/dashboard/notices/{notice_id}/read")
async def mark_notice_read(
    notice_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    await _checked_form(request, me)
    async with ctx.transaction() as session:
        await NoticeService(session, ctx.clock, ctx.settings.public_url).mark_read(me.id, notice_id)
    return RedirectResponse("/dashboard#notices", status_code=303)

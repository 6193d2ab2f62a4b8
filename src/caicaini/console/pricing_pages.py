"""Console: plans and prices. The price-sheet history, drafts of the next sheet edited as
TOML, each draft's differences from the sheet in effect and whether it reduces anything for
subscribers (how many active subscribers each reduced plan has), and scheduling, which
enforces the seven days' notice for a reducing change and sends the notices — all through
``plans.drafts.DraftService`` over ``PriceChangeService`` (the service of ``caicaini plans
schedule``). Reading needs support; starting, saving, scheduling and discarding need admin.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_admin, require_operator
from caicaini.console.forms import actor, read_form
from caicaini.context import AppContext
from caicaini.http.deps import app_context
from caicaini.incidents.service import parse_time
from caicaini.plans.drafts import DraftService
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


def _service(session: Any, ctx: AppContext) -> DraftService:
    return DraftService(session, ctx.clock, ctx.settings.public_url)


@router.get("/console/pricing", response_class=HTMLResponse)
async def pricing_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    async with ctx.read() as session:
        service = _service(session, ctx)
        current = await service.plans.current_sheet()
        context = {
            "current": current,
            "history": await service.history(),
            "drafts": await service.drafts(),
            "now": ctx.clock.now(),
            "done": request.query_params.get("done"),
            "version": request.query_params.get("version"),
            "notified": request.query_params.get("notified"),
        }
    return render(request, "console_pricing.html", context)


@router.post("/console/pricing/drafts")
async def start_draft(request: Request, me: CurrentAccount = Depends(require_admin)) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        draft = await _service(session, ctx).start(actor=actor(me, request))
    return RedirectResponse(f"/console/pricing/drafts/{draft.id}", status_code=303)


async def _draft_context(ctx: AppContext, draft_id: str) -> dict[str, Any]:
    async with ctx.read() as session:
        review = await _service(session, ctx).review(draft_id)
    now = ctx.clock.now()
    # The earliest time a reducing change may take effect, rounded up to the form's minutes.
    earliest = review.earliest_reducing_at
    if earliest is not None:
        earliest = earliest.replace(second=0, microsecond=0) + timedelta(minutes=2)
    return {"review": review, "draft": review.draft, "now": now, "earliest": earliest}


@router.get("/console/pricing/drafts/{draft_id}", response_class=HTMLResponse)
async def draft_page(
    draft_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _draft_context(app_context(request), draft_id)
    context["done"] = request.query_params.get("done")
    return render(request, "console_price_draft.html", context)


async def _draft_form(
    request: Request, ctx: AppContext, draft_id: str, form_name: str
) -> dict[str, str]:
    """The submitted form, remembered so a refusal re-renders the draft page with it."""
    form = await read_form(request)
    context = await _draft_context(ctx, draft_id)
    remember_form(
        request, "console_price_draft.html", {**context, "form": form, "form_name": form_name}
    )
    return form


@router.post("/console/pricing/drafts/{draft_id}")
async def save_draft(
    draft_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await _draft_form(request, ctx, draft_id, "save")
    async with ctx.transaction() as session:
        await _service(session, ctx).save(draft_id, form.get("text", ""), actor=actor(me, request))
    return RedirectResponse(f"/console/pricing/drafts/{draft_id}?done=saved", status_code=303)


@router.post("/console/pricing/drafts/{draft_id}/schedule")
async def schedule_draft(
    draft_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await _draft_form(request, ctx, draft_id, "schedule")
    raw = form.get("effective_at", "")
    effective_at = parse_time(raw, "effective_at") if raw else None
    async with ctx.transaction() as session:
        change = await _service(session, ctx).schedule(
            draft_id, effective_at=effective_at, actor=actor(me, request)
        )
    target = f"/console/pricing?done=scheduled&version={change.version}&notified={change.notified}"
    return RedirectResponse(target, status_code=303)


@router.post("/console/pricing/drafts/{draft_id}/discard")
async def discard_draft(
    draft_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    remember_form(request, "console_price_draft.html", await _draft_context(ctx, draft_id))
    async with ctx.transaction() as session:
        await _service(session, ctx).discard(draft_id, actor=actor(me, request))
    return RedirectResponse("/console/pricing?done=discarded", status_code=303)

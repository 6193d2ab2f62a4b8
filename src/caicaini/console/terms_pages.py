"""Console: Terms of Service versions. The published history (each version's text kept), a
proposed text compared line by line with the version in effect, and publishing through
``TermsService.publish``: a material change needs 7 days' notice and every active account is
e-mailed and notified on the dashboard. Reading needs support; publishing needs admin.
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
from caicaini.notices.terms import TermsService, text_of
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


def _service(session: Any, ctx: AppContext) -> TermsService:
    return TermsService(session, ctx.clock, ctx.settings.public_url)


async def _context(ctx: AppContext) -> dict[str, Any]:
    async with ctx.read() as session:
        service = _service(session, ctx)
        current, text = await service.text_in_effect()
        return {"history": await service.history(), "current": current, "current_text": text,
                "now": ctx.clock.now()}  # fmt: skip


@router.get("/console/terms", response_class=HTMLResponse)
async def terms_page(request: Request, me: CurrentAccount = Depends(require_operator)) -> Response:
    context = await _context(app_context(request))
    context.update(done=request.query_params.get("done"), version=request.query_params.get("v"))
    return render(request, "console_terms.html", context)


@router.post("/console/terms/preview", response_class=HTMLResponse)
async def preview(request: Request, me: CurrentAccount = Depends(require_admin)) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(request, "console_terms.html", {**await _context(ctx), "form": form})
    material = form.get("material") == "on"
    async with ctx.read() as session:
        review = await _service(session, ctx).review(form.get("text", ""), material=material)
    # A material change's earliest time, rounded up to the form's minutes; else "at once".
    earliest = review.earliest_at.replace(second=0, microsecond=0) + timedelta(minutes=2)
    earliest_value = earliest.strftime("%Y-%m-%dT%H:%M") if material else ""
    context = {**await _context(ctx), "form": form, "review": review}
    context["earliest_value"] = earliest_value
    return render(request, "console_terms.html", context)


@router.post("/console/terms")
async def publish(request: Request, me: CurrentAccount = Depends(require_admin)) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(request, "console_terms.html", {**await _context(ctx), "form": form})
    raw = form.get("effective_at", "")
    effective_at = parse_time(raw, "effective_at") if raw else None
    async with ctx.transaction() as session:
        view = await _service(session, ctx).publish(
            form.get("text", ""), effective_at=effective_at, material=form.get("material") == "on",
            summary=form.get("summary", ""), actor=actor(me, request),
        )  # fmt: skip
    return RedirectResponse(f"/console/terms?done=published&v={view.version}", status_code=303)


@router.get("/console/terms/{version}", response_class=HTMLResponse)
async def version_page(
    version: int, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    async with ctx.read() as session:
        row = await _service(session, ctx).version(version)
    return render(request, "console_terms_version.html", {"row": row, "text": text_of(row)})

"""Console: provider health, incidents and their reconciliation, bulk credit.

Pages over ``IncidentService`` and ``BulkCreditService`` (the same services as ``caicaini
incidents ...``). Reading needs the support role; declaring, ending, reconciling and bulk
credit need admin (``require_admin`` also checks the CSRF token). An action that moves credits
needs a reason, and a failed action re-renders its page with the message and what was typed.

- ``/console/incidents``: health of each provider route over the last hour (requests, errors,
  error rate, median and 95th-percentile latency), the incidents, a form to declare one;
- ``/console/incidents/{id}``: the window, a preview of the credits a reconciliation would
  return (account by account), past runs, the reconcile and end forms;
- ``/console/credits/bulk``: the same credit to chosen accounts with one reason, previewed
  first (unknown or closed names refuse the batch), granted once even if submitted twice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_admin, require_operator
from caicaini.console.forms import actor, parse_amount, read_form, require_reason
from caicaini.context import AppContext
from caicaini.http.deps import app_context
from caicaini.incidents.bulk import BulkCreditService
from caicaini.incidents.service import PROVIDERS, IncidentService, parse_time
from caicaini.kit.ids import new_id
from caicaini.status.service import WINDOW, HealthService, routes_of
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


def _service(session: Any, ctx: AppContext) -> IncidentService:
    return IncidentService(session, ctx.clock, ctx.settings.public_url)


async def _list_context(ctx: AppContext) -> dict[str, Any]:
    async with ctx.read() as session:
        service = _service(session, ctx)
        incidents = await service.recent()
        credited = {i.id: await service.repo.credited_total(i.id) for i in incidents}
        health = await HealthService(session, ctx.clock).routes(
            routes_of(ctx.extras.get("providers"))
        )
    return {
        "incidents": incidents,
        "credited": credited,
        "health": health,
        "providers": PROVIDERS,
        "window_minutes": int(WINDOW.total_seconds() // 60),
        "now": ctx.clock.now(),
    }


@router.get("/console/incidents", response_class=HTMLResponse)
async def incidents_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    return render(request, "console_incidents.html", await _list_context(app_context(request)))


@router.post("/console/incidents")
async def declare(request: Request, me: CurrentAccount = Depends(require_admin)) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(request, "console_incidents.html", {**await _list_context(ctx), "form": form})
    starts_at = parse_time(form.get("start", ""), "start")
    ends_at = parse_time(form["end"], "end") if form.get("end") else None
    async with ctx.transaction() as session:
        incident = await _service(session, ctx).declare(
            provider=form.get("provider", ""), title=form.get("title", ""),
            starts_at=starts_at, ends_at=ends_at, actor=actor(me, request),
        )  # fmt: skip
    return RedirectResponse(f"/console/incidents/{incident.id}?done=declared", status_code=303)


async def _incident_context(ctx: AppContext, incident_id: str) -> dict[str, Any]:
    async with ctx.read() as session:
        service = _service(session, ctx)
        preview = await service.preview(incident_id)
        runs = await service.repo.reconciliations(preview.incident.id)
    return {
        "incident": preview.incident,
        "preview": preview,
        "runs": runs,
        "providers": PROVIDERS,
        "now": ctx.clock.now(),
    }


@router.get("/console/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    incident_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _incident_context(app_context(request), incident_id)
    context["done"] = request.query_params.get("done")
    context["returned"] = request.query_params.get("returned")
    return render(request, "console_incident.html", context)


@router.post("/console/incidents/{incident_id}/reconcile")
async def reconcile(
    incident_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    context = await _incident_context(ctx, incident_id)
    remember_form(request, "console_incident.html", {**context, "form": form, "form_name": "rec"})
    note = require_reason(form.get("reason", ""))
    async with ctx.transaction() as session:
        run = await _service(session, ctx).reconcile(
            incident_id, actor=actor(me, request), note=note
        )
    target = f"/console/incidents/{incident_id}?done=reconciled&returned={run.credits}"
    return RedirectResponse(target, status_code=303)


@router.post("/console/incidents/{incident_id}/end")
async def end(
    incident_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    context = await _incident_context(ctx, incident_id)
    remember_form(request, "console_incident.html", {**context, "form": form, "form_name": "end"})
    ends_at = parse_time(form["end"], "end") if form.get("end") else ctx.clock.now()
    async with ctx.transaction() as session:
        await _service(session, ctx).end(incident_id, ends_at=ends_at, actor=actor(me, request))
    return RedirectResponse(f"/console/incidents/{incident_id}?done=ended", status_code=303)


# -- bulk credit --------------------------------------------------------------------------------
def _bulk_values(form: dict[str, str]) -> tuple[str, int]:
    return form.get("accounts", ""), parse_amount(form.get("amount", ""))


@router.get("/console/credits/bulk", response_class=HTMLResponse)
async def bulk_page(request: Request, me: CurrentAccount = Depends(require_operator)) -> Response:
    done = request.query_params.get("done")
    return render(request, "console_bulk_credit.html", {"form": {}, "done": done})


@router.post("/console/credits/bulk/preview", response_class=HTMLResponse)
async def bulk_preview(request: Request, me: CurrentAccount = Depends(require_admin)) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(request, "console_bulk_credit.html", {"form": form})
    require_reason(form.get("reason", ""))
    names, amount = _bulk_values(form)
    async with ctx.read() as session:
        plan = await BulkCreditService(session, ctx.clock, ctx.settings.public_url).plan(
            names, amount
        )
    context = {"form": form, "plan": plan, "batch_key": new_id("bulk")}
    return render(request, "console_bulk_credit.html", context)


@router.post("/console/credits/bulk")
async def bulk_grant(request: Request, me: CurrentAccount = Depends(require_admin)) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(request, "console_bulk_credit.html", {"form": form})
    reason = require_reason(form.get("reason", ""))
    names, amount = _bulk_values(form)
    async with ctx.transaction() as session:
        plan = await BulkCreditService(session, ctx.clock, ctx.settings.public_url).grant(
            names, amount, reason=reason, batch_key=form.get("batch_key") or new_id("bulk"),
            actor=actor(me, request),
        )  # fmt: skip
    return RedirectResponse(f"/console/credits/bulk?done={len(plan.accounts)}", status_code=303)

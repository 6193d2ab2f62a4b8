"""Public pages: the price list (``/pricing``), provider status (``/status``), the privacy
policy (``/privacy``), how to reach us (``/contact``) and the interactive API reference
(``/api/docs``: Swagger UI, vendored, over ``/api/openapi.json``).

They read only published data: the price sheet in effect (and any announced change), the last
hour of gateway usage records per provider route, and the retention settings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from caicaini.accounts.deps import optional_account
from caicaini.http.deps import app_context
from caicaini.incidents.service import PROVIDERS as INCIDENT_PROVIDERS
from caicaini.incidents.service import IncidentService
from caicaini.plans.service import PlanService
from caicaini.plans.views import PriceSheetView
from caicaini.status.service import PROVIDER_NAMES, WINDOW, HealthService, routes_of
from caicaini.web.rendering import render

router = APIRouter(include_in_schema=False)

INCIDENTS_SHOWN = timedelta(days=14)  # an ended incident stays on /status this long


def _plans(sheet: PriceSheetView) -> list[Any]:
    return sorted(sheet.plans.values(), key=lambda p: (p.price_usd, p.name))


@router.get("/pricing", response_class=HTMLResponse)
async def pricing(request: Request) -> Response:
    await optional_account(request)
    ctx = app_context(request)
    async with ctx.transaction() as session:
        plans = PlanService(session, ctx.clock)
        sheet = await plans.current_sheet()
        scheduled = await plans.scheduled_sheets()
    models = sorted(sheet.models.values(), key=lambda m: (m.provider, m.id))
    return render(
        request,
        "pricing.html",
        {
            "sheet": sheet,
            "plans": _plans(sheet),
            "topups": sorted(sheet.topups.values(), key=lambda t: t.price_usd),
            "models": models,
            "scheduled": scheduled,
            "provider_names": PROVIDER_NAMES,
        },
    )


@router.get("/status", response_class=HTMLResponse)
async def status(request: Request) -> Response:
    await optional_account(request)
    ctx = app_context(request)
    registry = ctx.extras.get("providers")
    async with ctx.transaction() as session:
        health = await HealthService(session, ctx.clock).routes(routes_of(registry))
        incidents = await IncidentService(session, ctx.clock, "").shown_since(
            ctx.clock.now() - INCIDENTS_SHOWN
        )
    overall = "degraded" if any(r.state == "degraded" for r in health) else "operational"
    return render(
        request,
        "status.html",
        {
            "routes": health,
            "incidents": incidents,
            "incident_providers": INCIDENT_PROVIDERS,
            "overall": overall,
            "demo": bool(getattr(registry, "demo", False)),
            "window_minutes": int(WINDOW.total_seconds() // 60),
            "checked_at": ctx.clock.now(),
        },
    )


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> Response:
    await optional_account(request)
    settings = app_context(request).settings
    return render(
        request,
        "privacy.html",
        {
            "support_email": settings.support_email,
            "audit_days": settings.audit_retention_days,
            "mail_days": settings.mail_retention_days,
            "session_days": settings.session_max_age_seconds // 86400,
            "login_window_minutes": settings.login_window_seconds // 60,
        },
    )


@router.get("/contact", response_class=HTMLResponse)
async def contact(request: Request) -> Response:
    await optional_account(request)
    settings = app_context(request).settings
    return render(
        request,
        "contact.html",
        {"support_email": settings.support_email, "base_url": settings.public_url.rstrip("/")},
    )


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html", {"spec_url": request.app.openapi_url})

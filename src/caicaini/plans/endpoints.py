"""``GET /api/v1/pricing`` (no auth): the published catalogue — plans, models, rates, the
message definition, top-up packs and the sheet version — plus any scheduled next version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from caicaini.http.deps import app_context
from caicaini.plans.schemas import pricing_document
from caicaini.plans.service import PlanService

router = APIRouter(tags=["pricing"])


@router.get("/api/v1/pricing")
async def pricing(request: Request) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        plans = PlanService(session, ctx.clock)
        sheet = await plans.current_sheet()
        upcoming = await plans.scheduled_sheets()
    document = pricing_document(sheet)
    document["scheduled"] = [
        {
            "sheet_version": s.version,
            "effective_at": s.effective_at.isoformat() if s.effective_at else None,
        }
        for s in upcoming
    ]
    return document

"""The operator console: every console router is registered here, in one place, and
``caicaini.main`` includes this one. Each page group lives in its own module
(``users_pages``, ``payments_pages``, ``audit_pages``...); access is checked by
``accounts.deps.require_role`` (support reads and adds notes, admin acts; CSRF on every
POST), and every action goes through the owning domain's service, the same one its CLI
command uses, which audits it with the actor and the reason.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_operator
from caicaini.audit.service import AuditService
from caicaini.console import (
    audit_pages,
    dashboard,
    incident_pages,
    payments_pages,
    pricing_pages,
    refunds_pages,
    signals_pages,
    terms_pages,
    users_pages,
)
from caicaini.console.formats import crypto, pretty_json
from caicaini.console.payments import emails_of
from caicaini.http.deps import app_context
from caicaini.web.rendering import add_template_dir, render, templates

add_template_dir(Path(__file__).parent / "templates")
templates.env.filters["pretty_json"] = pretty_json
templates.env.filters["crypto"] = crypto

router = APIRouter(include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
async def console_home(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    async with ctx.read() as session:
        context = await dashboard.overview(
            session, ctx.clock, ctx.settings.public_url, ctx.extras.get("providers")
        )
        audit = await AuditService(session, ctx.clock).history(subject_account_id=None, limit=10)
        names = await emails_of(
            session, {e.actor_id for e in audit} | {e.subject_account_id for e in audit}
        )
    return render(request, "console_home.html", {**context, "audit": audit, "names": names})


for module in (
    users_pages,
    payments_pages,
    refunds_pages,
    audit_pages,
    incident_pages,
    pricing_pages,
    signals_pages,
    terms_pages,
):
    router.include_router(module.router)

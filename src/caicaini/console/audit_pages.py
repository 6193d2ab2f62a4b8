"""The console's audit log page (support and admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_operator
from caicaini.audit.service import AuditService
from caicaini.console.payments import emails_of
from caicaini.http.deps import app_context
from caicaini.web.rendering import render

router = APIRouter(include_in_schema=False)

AUDIT_LIMIT = 100


@router.get("/console/audit", response_class=HTMLResponse)
async def audit_page(request: Request, me: CurrentAccount = Depends(require_operator)) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        entries = await AuditService(session, ctx.clock).history(
            subject_account_id=None, limit=AUDIT_LIMIT
        )
        names = await emails_of(
            session, {e.actor_id for e in entries} | {e.subject_account_id for e in entries}
        )
    return render(request, "console_audit.html", {"audit": entries, "names": names})

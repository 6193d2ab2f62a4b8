"""The console's audit log page (support and admin): filters, full ids, readable details,
and the chain's verification status on request."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_operator
from caicaini.console import audit
from caicaini.console.payments import emails_of
from caicaini.http.deps import app_context
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


@router.get("/console/audit", response_class=HTMLResponse)
async def audit_page(request: Request, me: CurrentAccount = Depends(require_operator)) -> Response:
    ctx = app_context(request)
    params = dict(request.query_params)
    remember_form(
        request,
        "console_audit.html",
        {"audit": [], "actions": [], "wanted": audit.AuditFilter(query=params), "names": {}},
    )
    wanted = audit.audit_filter(params)
    async with ctx.transaction() as session:
        context = await audit.search(session, wanted)
        entries = context["audit"]
        context["names"] = await emails_of(
            session, {e.actor_id for e in entries} | {e.subject_account_id for e in entries}
        )
        if params.get("verify"):
            context["chain"] = await audit.verify_chain(session, ctx.clock)
    if context["older"]:
        older = {k: v for k, v in wanted.query.items() if v} | {"before": str(context["older"])}
        context["older_url"] = "/console/audit?" + urlencode(older)
    verify = {k: v for k, v in wanted.query.items() if v} | {"verify": "1"}
    context |= {"wanted": wanted, "verify_url": "/console/audit?" + urlencode(verify)}
    return render(request, "console_audit.html", context)

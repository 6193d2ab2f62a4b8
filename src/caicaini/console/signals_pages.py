"""Console: duplicate-account signals and the sign-up rules.

``/console/signals`` lists the devices and sign-up addresses that several accounts share in a
chosen window, each group with its accounts' states (a group holding a suspended or banned
account refuses new sign-ups from that signal while the rule is on), and shows the rules in
force; an admin changes them with a reason (audited), through ``TrustService``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_admin, require_operator
from caicaini.console.forms import actor, read_form, require_reason
from caicaini.context import AppContext
from caicaini.http.deps import app_context
from caicaini.trust.service import TrustService
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)

WINDOWS = {
    "24h": ("the last 24 hours", timedelta(hours=24)),
    "7d": ("the last 7 days", timedelta(days=7)),
    "30d": ("the last 30 days", timedelta(days=30)),
    "all": ("all time", None),
}
DEFAULT_WINDOW = "7d"
RULES = ("block_linked_devices", "block_linked_ips", "second_free_by_device")


async def _context(ctx: AppContext, window: str) -> dict[str, Any]:
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    async with ctx.read() as session:
        trust = TrustService(session, ctx.clock)
        groups = await trust.duplicate_groups(WINDOWS[window][1])
        rules = await trust.rules()
    return {"groups": groups, "rules": rules, "window": window, "windows": WINDOWS}


@router.get("/console/signals", response_class=HTMLResponse)
async def signals_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await _context(app_context(request), request.query_params.get("window", ""))
    context["done"] = request.query_params.get("done")
    return render(request, "console_signals.html", context)


@router.post("/console/signals/rules")
async def set_rules(request: Request, me: CurrentAccount = Depends(require_admin)) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    remember_form(
        request, "console_signals.html", {**await _context(ctx, DEFAULT_WINDOW), "form": form}
    )
    reason = require_reason(form.get("reason", ""))
    chosen = {name: form.get(name) == "on" for name in RULES}
    async with ctx.transaction() as session:
        await TrustService(session, ctx.clock).set_rules(
            **chosen, reason=reason, actor=actor(me, request)
        )
    return RedirectResponse("/console/signals?done=rules", status_code=303)

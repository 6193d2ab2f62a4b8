"""``/device``: where a logged-in user approves (or denies) a terminal's sign-in.

The terminal prints ``/device?code=USER-CODE``; a visitor who is not logged in goes through
the login page and comes back with the code. Approving shows which device asks, and both
buttons post the session's CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts import csrf
from caicaini.accounts.deps import CurrentAccount, current_account, optional_account
from caicaini.audit.service import Actor
from caicaini.devices.service import NO_API_ACCESS, DeviceLoginService, normalise_user_code
from caicaini.errors import Conflict, NotFound
from caicaini.http.deps import app_context, client_ip
from caicaini.http.errors import register_renderer
from caicaini.web.rendering import add_template_dir, remember_form, render, render_html_error

router = APIRouter(include_in_schema=False)
add_template_dir(Path(__file__).parent / "templates")
register_renderer("html", render_html_error, "/device")


@router.get("/device", response_class=HTMLResponse)
async def device_page(request: Request, code: str = "") -> Response:
    me = await optional_account(request)
    if me is None:
        back = "/device" + (f"?code={quote(code)}" if code else "")
        return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)
    if not code:
        return render(request, "device.html", {"step": "enter"})
    ctx = app_context(request)
    try:
        async with ctx.transaction() as session:
            row = await DeviceLoginService(session, ctx.clock, ctx.settings).pending(code)
    except (NotFound, Conflict) as exc:
        values = {"step": "enter", "code": code, "error": exc.message}
        return render(request, "device.html", values, status=404)
    return render(request, "device.html", {"step": "confirm", "device": row})


async def _decide(request: Request, approve: bool) -> Response:
    me: CurrentAccount = await current_account(request)
    ctx = app_context(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    code = normalise_user_code(form.get("user_code", ""))
    remember_form(request, "device.html", {"step": "enter", "code": code})
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))
    actor = Actor("account", me.id, client_ip(request))
    async with ctx.transaction() as session:
        service = DeviceLoginService(session, ctx.clock, ctx.settings)
        if approve:
            row = await service.approve(code, me.id, actor=actor)
        else:
            row = await service.deny(code, me.id, actor=actor)
        refused = None
        if row.refusal == NO_API_ACCESS:
            refused = (await service.no_api_access(me.id)).message
    step = "no_api_access" if refused else row.status
    return render(request, "device.html", {"step": step, "device": row, "refused": refused})


@router.post("/device/approve", response_class=HTMLResponse)
async def approve(request: Request) -> Response:
    return await _decide(request, approve=True)


@router.post("/device/deny", response_class=HTMLResponse)
async def deny(request: Request) -> Response:
    return await _decide(request, approve=False)

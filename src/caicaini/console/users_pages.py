"""Console pages for users: search, the user page, its actions (preview, then confirm) and
notes. Reading and notes need the support role; every action needs admin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_admin, require_operator
from caicaini.accounts.support import AccountSupportService
from caicaini.console.forms import actor, check_confirmation, read_form
from caicaini.console.user_actions import DONE, GROUP, UserActions, action_of, is_destructive
from caicaini.console.users import UserDirectory
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.http.deps import app_context
from caicaini.kit.ids import new_id
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


@router.get("/console/users", response_class=HTMLResponse)
async def search_page(request: Request, me: CurrentAccount = Depends(require_operator)) -> Response:
    ctx = app_context(request)
    query = request.query_params.get("q", "").strip()[:200]
    async with ctx.transaction() as session:
        users = await UserDirectory(session, ctx.clock, ctx.settings).search(query)
    return render(request, "console_users.html", {"q": query, "users": users})


async def user_context(ctx: AppContext, account_id: str) -> dict[str, Any]:
    async with ctx.transaction() as session:
        return await UserDirectory(session, ctx.clock, ctx.settings).picture(account_id)


@router.get("/console/users/{account_id}", response_class=HTMLResponse)
async def user_page(
    account_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    context = await user_context(app_context(request), account_id)
    context["done"] = DONE.get(request.query_params.get("done", ""))
    return render(request, "console_user.html", context)


@router.post("/console/users/{account_id}/actions")
async def user_action(
    account_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    """Without ``step=apply``: the preview page. With it: the action, then the user page."""
    ctx = app_context(request)
    form = await read_form(request)
    context = await user_context(ctx, account_id)
    account = context["user"].account
    action = form.get("action", "")
    remember_form(
        request,
        "console_user.html",
        {**context, "form": form, "form_name": GROUP.get(action) or form.get("group") or action},
    )
    action = action_of(form)
    async with ctx.transaction() as session:
        actions = UserActions(session, ctx.clock, ctx.settings)
        if form.get("step") != "apply":
            preview = await actions.preview(account, action, form)
            return render(
                request,
                "console_confirm.html",
                {"preview": preview, "op": new_id("op")},
            )
        if is_destructive(action, form):
            try:
                check_confirmation(form, account.email)
            except InvalidInput:
                # Shown again with the message; a repeated confirmation skips this (and
                # the preview, which would refuse what the first one already did).
                preview = await actions.preview(account, action, form)
                remember_form(
                    request,
                    "console_confirm.html",
                    {"preview": preview, "op": form.get("op", "")},
                )
                raise
        op = form.get("op") or new_id("op")
        await actions.apply(account, action, form, op=op, actor=actor(me, request))
    return RedirectResponse(f"/console/users/{account_id}?done={action}", status_code=303)


@router.post("/console/users/{account_id}/notes")
async def add_note(
    account_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    context = await user_context(ctx, account_id)
    remember_form(request, "console_user.html", {**context, "form": form, "form_name": "note"})
    async with ctx.transaction() as session:
        await AccountSupportService(session, ctx.clock, ctx.settings).add_note(
            account_id, form.get("note", ""), actor=actor(me, request)
        )
    return RedirectResponse(f"/console/users/{account_id}?done=note", status_code=303)

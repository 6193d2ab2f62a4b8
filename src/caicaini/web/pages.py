"""Pages: landing, terms, settings, and the development-only mail viewer."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from caicaini.accounts import csrf, export, export_sections
from caicaini.accounts.closure import ClosureService
from caicaini.accounts.deps import (
    SCOPE_KEY,
    CurrentAccount,
    clear_session_cookie,
    current_account,
    optional_account,
)
from caicaini.accounts.service import AccountService
from caicaini.errors import NotFound
from caicaini.http.deps import app_context, client_ip
from caicaini.mail import links
from caicaini.mail.repository import OutboxRepository
from caicaini.notices.terms import TermsService
from caicaini.web.guardrail_pages import guardrail_context
from caicaini.web.rendering import HERE, remember_form, render

router = APIRouter(include_in_schema=False)

TERMS_LAST_UPDATED = "26 November 2026"


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request) -> Response:
    await optional_account(request)
    return render(request, "landing.html")


@router.get("/terms", response_class=HTMLResponse)
async def terms(request: Request) -> Response:
    """The Terms version in effect (published in the console; the shipped file until then)."""
    await optional_account(request)
    ctx = app_context(request)
    async with ctx.read() as session:
        row, text = await TermsService(session, ctx.clock, ctx.settings.public_url).text_in_effect()
    last_updated = TERMS_LAST_UPDATED
    if row is not None and row.text is not None:
        last_updated = f"{row.last_updated.day} {row.last_updated:%B %Y}"
    return render(
        request, "terms.html", {"blocks": terms_blocks(text), "last_updated": last_updated}
    )


@lru_cache(maxsize=4)
def terms_blocks(text: str | None = None) -> list[tuple[str, Any]]:
    """(kind, content) blocks from the plain-text Terms: headings, paragraphs, lists.
    ``[label](/path)`` in the text becomes a link."""
    if text is None:
        text = (HERE / "content" / "terms-of-service.txt").read_text()
    lines = text.splitlines()
    blocks: list[tuple[str, Any]] = []
    for line in lines[1:]:
        text = line.strip()
        if not text or text == "Last updated":
            continue
        if re.match(r"^\d+\. [A-Z]", text) and len(text) < 60:
            blocks.append(("h2", text))
        elif text.startswith("- "):
            if not blocks or blocks[-1][0] != "ul":
                blocks.append(("ul", []))
            blocks[-1][1].append(_links(text[2:]))
        else:
            blocks.append(("p", _links(text)))
    return blocks


def _links(text: str) -> Markup:
    escaped = str(escape(text))
    linked = re.sub(r"\[([^\]]+)\]\((/[^)\s]*)\)", r'<a href="\2">\1</a>', escaped)
    return Markup(linked)  # noqa: S704  (the text was escaped before the links were added)


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    context = await guardrail_context(app_context(request), me)
    return render(request, "settings.html", {**context, "notice": request.query_params.get("done")})


async def _settings_form(request: Request, me: CurrentAccount) -> dict[str, str]:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    remember_form(
        request,
        "settings.html",
        {
            **await guardrail_context(app_context(request), me),
            "form_name": request.url.path.rsplit("/", 1)[-1],
        },
    )
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))
    return form


@router.post("/settings/password")
async def settings_password(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await _settings_form(request, me)
    async with ctx.transaction() as session:
        service = AccountService(session, ctx.clock, ctx.settings)
        await service.change_password(
            await service.get(me.id),
            current=form.get("current_password", ""),
            new=form.get("new_password", ""),
            keep_session_id=me.session_id,
            ip=client_ip(request),
        )
    return RedirectResponse("/settings?done=password", status_code=303)


@router.post("/settings/email")
async def settings_email(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await _settings_form(request, me)
    async with ctx.transaction() as session:
        service = AccountService(session, ctx.clock, ctx.settings)
        await service.request_email_change(
            await service.get(me.id),
            new_email=form.get("new_email", ""),
            password=form.get("password", ""),
            ip=client_ip(request),
        )
    return RedirectResponse("/settings?done=email", status_code=303)


@router.post("/settings/close")
async def settings_close(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await _settings_form(request, me)
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).get(me.id)
        await ClosureService(session, ctx.clock, ctx.settings).close_own_account(
            account,
            password=form.get("password", ""),
            reason=form.get("reason", ""),
            ip=client_ip(request),
        )
    request.scope.pop(SCOPE_KEY, None)
    response = render(
        request,
        "message.html",
        {
            "title": "Account closed",
            "message": "Your account is closed. We are sorry to see you go.",
            "link": ("/", "Back to the home page"),
        },
    )
    clear_session_cookie(response, ctx.settings)
    return response


@router.get("/settings/export.json")
async def data_export(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    """Everything we hold about the account, as one JSON download (never a secret)."""
    ctx = app_context(request)
    async with ctx.read() as session:
        sections = await export.collect_export(session, me.id)
    now = ctx.clock.now()
    body = json.dumps(export_sections.document(sections, now), indent=2, ensure_ascii=False)
    return Response(
        body + "\n",
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="caicaini-export-{now:%Y-%m-%d}.json"',
            "cache-control": "no-store",
        },
    )


@router.get("/dev/mail", response_class=HTMLResponse)
async def dev_mail(request: Request) -> Response:
    ctx = app_context(request)
    if ctx.settings.env == "production":
        raise NotFound("not found")
    await optional_account(request)
    async with ctx.transaction() as session:
        mails = await OutboxRepository(session).recent()
    # Development only: the links are shown working, as the recipient would get them.
    bodies = {m.id: links.reveal(m.body_text, ctx.settings.secret_key) for m in mails}
    return render(
        request,
        "dev_mail.html",
        {"mails": mails, "bodies": bodies, "smtp": bool(ctx.settings.smtp_url)},
    )

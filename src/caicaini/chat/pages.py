"""The chat pages: ``/chat`` (a new conversation and the list) and ``/chat/{id}``; the thread
as a fragment for the script to refresh after a reply; rename, delete and branch switching
as plain forms (they work without the script)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, current_account, require_csrf
from caicaini.chat import hooks as _hooks  # noqa: F401  (export section, closure hook)
from caicaini.chat.picker import balance, plan_models, quote
from caicaini.chat.rendering import render_markdown
from caicaini.chat.service import ChatService, SendRequest, Thread, build_draft
from caicaini.context import AppContext
from caicaini.http.deps import app_context
from caicaini.http.errors import register_renderer
from caicaini.web.rendering import render, render_html_error, templates

router = APIRouter(include_in_schema=False)
register_renderer("html", render_html_error, "/chat")
templates.env.filters["chat_markdown"] = render_markdown


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


async def _chat_page(request: Request, me: CurrentAccount, conversation_id: str | None) -> Response:
    ctx = app_context(request)
    query = request.query_params.get("q", "")[:200]
    async with ctx.read() as session:
        service = ChatService(session, ctx.clock, ctx.settings)
        listing = await service.page(me.id, query=query, page=_page_number(request))
        thread = await service.thread(me.id, conversation_id) if conversation_id else None
    models = await plan_models(ctx, me.id)
    ids = [m.id for m in models]
    selected = thread.conversation.model if thread and thread.conversation.model in ids else None
    selected = selected or (ids[0] if ids else None)
    return render(
        request,
        "chat.html",
        {
            "listing": listing,
            "thread": thread,
            "models": models,
            "selected_model": selected,
            "balance": await balance(ctx, me.id),
            "hold": await _hold(ctx, me.id, selected, thread),
            "max_prompt_chars": ctx.settings.chat_max_prompt_chars,
        },
    )


async def _hold(ctx: AppContext, account_id: str, model: str | None, thread: Thread | None) -> Any:
    """The most the next message can cost before a word is typed."""
    if model is None:
        return None
    request = SendRequest(
        content="",
        model=model,
        conversation_id=thread.conversation.id if thread else None,
        parent_id=thread.leaf_id if thread else None,
        system_prompt=thread.conversation.system_prompt if thread else None,
    )
    draft = build_draft(
        ctx.settings,
        account_id,
        request,
        thread.conversation if thread else None,
        thread.messages if thread else [],
        quoting=True,
    )
    return (await quote(ctx, draft)).max_credits


@router.get("/chat", response_class=HTMLResponse)
async def new_chat(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    return await _chat_page(request, me, None)


@router.get("/chat/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(
    conversation_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    return await _chat_page(request, me, conversation_id)


@router.get("/chat/{conversation_id}/thread", response_class=HTMLResponse)
async def thread_fragment(
    conversation_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    async with ctx.read() as session:
        thread = await ChatService(session, ctx.clock, ctx.settings).thread(me.id, conversation_id)
    return render(request, "_chat_thread.html", {"thread": thread})


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/chat/{conversation_id}/rename")
async def rename(
    conversation_id: str, request: Request, me: CurrentAccount = Depends(require_csrf)
) -> Response:
    ctx = app_context(request)
    form = await _form(request)
    async with ctx.transaction() as session:
        await ChatService(session, ctx.clock, ctx.settings).rename(
            me.id, conversation_id, form.get("title", "")
        )
    return RedirectResponse(f"/chat/{conversation_id}", status_code=303)


@router.post("/chat/{conversation_id}/delete")
async def delete(
    conversation_id: str, request: Request, me: CurrentAccount = Depends(require_csrf)
) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        await ChatService(session, ctx.clock, ctx.settings).delete(me.id, conversation_id)
    return RedirectResponse("/chat", status_code=303)


@router.post("/chat/{conversation_id}/branch")
async def switch_branch(
    conversation_id: str, request: Request, me: CurrentAccount = Depends(require_csrf)
) -> Response:
    ctx = app_context(request)
    form = await _form(request)
    async with ctx.transaction() as session:
        await ChatService(session, ctx.clock, ctx.settings).switch(
            me.id, conversation_id, form.get("message_id", "")
        )
    return RedirectResponse(f"/chat/{conversation_id}#thread", status_code=303)

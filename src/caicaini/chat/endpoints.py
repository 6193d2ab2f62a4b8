"""The web chat's JSON API (the page's script uses it; errors in the JSON API's format):

    POST /api/v1/chat/messages              send (or regenerate): text/event-stream
    POST /api/v1/chat/quote                 the hold a send would place ("up to N credits")
    POST /api/v1/chat/messages/{id}/stop    stop a reply being written
    GET  /api/v1/chat/conversations         the list, newest first (?q= search, ?page=)
    GET  /api/v1/chat/conversations/{id}    one conversation, every branch

Every route acts for the logged-in account (cookie session; unsafe methods carry the CSRF
token) and finds only its own objects: another account's id answers 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from caicaini.accounts.deps import CurrentAccount, current_account, require_csrf
from caicaini.chat import hooks as _hooks  # noqa: F401  (export section, closure hook)
from caicaini.chat.picker import quote
from caicaini.chat.schemas import conversation_record, message_record
from caicaini.chat.service import ChatService, SendRequest
from caicaini.chat.streaming import replies, start_reply
from caicaini.errors import InvalidInput
from caicaini.gateway.edge import read_json
from caicaini.gateway.streaming import MeteredStream
from caicaini.http.deps import app_context
from caicaini.http.errors import request_id

router = APIRouter(tags=["chat"])
STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{name}: required", field=name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: a string is required", field=name)
    return value


def send_request(body: dict[str, Any]) -> SendRequest:
    reply_to = _text(body, "reply_to")
    return SendRequest(
        content=_text(body, "content"),
        model=_text(body, "model", required=True) or "",
        conversation_id=_text(body, "conversation_id"),
        parent_id=_text(body, "parent_id"),
        reply_to=reply_to,
        system_prompt=_text(body, "system_prompt"),
    )


@router.post("/api/v1/chat/messages")
async def send(request: Request, me: CurrentAccount = Depends(require_csrf)) -> Response:
    ctx = app_context(request)
    body, _size = await read_json(request, ctx.settings.max_body_bytes)
    async with ctx.read() as session:
        draft = await ChatService(session, ctx.clock, ctx.settings).prepare(
            me.id, send_request(body)
        )
    reply = await start_reply(ctx, draft, request_id=request_id(request))
    return MeteredStream(reply.events(), on_close=reply.finish, headers=dict(STREAM_HEADERS))


@router.post("/api/v1/chat/quote")
async def quote_send(request: Request, me: CurrentAccount = Depends(require_csrf)) -> Any:
    ctx = app_context(request)
    body, _size = await read_json(request, ctx.settings.max_body_bytes)
    async with ctx.read() as session:
        draft = await ChatService(session, ctx.clock, ctx.settings).prepare(
            me.id, send_request(body), quoting=True
        )
    answer = await quote(ctx, draft)
    return {
        "model": answer.model,
        "max_credits": answer.max_credits,
        "credits_per_message": answer.credits_per_message,
        "balance": answer.balance,
        "affordable": answer.affordable,
    }


@router.post("/api/v1/chat/messages/{message_id}/stop")
async def stop(
    message_id: str, request: Request, me: CurrentAccount = Depends(require_csrf)
) -> Any:
    ctx = app_context(request)
    async with ctx.read() as session:
        message = await ChatService(session, ctx.clock, ctx.settings).message(me.id, message_id)
    replies(ctx).stop(message.id)
    return {"message_id": message.id, "stopping": True}


@router.get("/api/v1/chat/conversations")
async def list_conversations(
    request: Request, q: str = "", page: int = 1, me: CurrentAccount = Depends(current_account)
) -> Any:
    ctx = app_context(request)
    async with ctx.read() as session:
        found = await ChatService(session, ctx.clock, ctx.settings).page(me.id, query=q, page=page)
    return {
        "data": [conversation_record(c) for c in found.conversations],
        "page": found.page,
        "has_more": found.has_more,
    }


@router.get("/api/v1/chat/conversations/{conversation_id}")
async def get_conversation(
    conversation_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Any:
    ctx = app_context(request)
    async with ctx.read() as session:
        conversation, messages = await ChatService(session, ctx.clock, ctx.settings).tree(
            me.id, conversation_id
        )
    return {**conversation_record(conversation), "messages": [message_record(m) for m in messages]}

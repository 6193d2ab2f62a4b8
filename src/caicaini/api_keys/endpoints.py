"""Key management for the owner (``/api/v1/keys``: created and revoked with the session, listed
with the session or a key; a key may revoke itself at ``/api/v1/keys/current``) and the public
leak report."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from caicaini.accounts.deps import CurrentAccount, require_csrf
from caicaini.api_keys.deps import Reader, account_or_key, api_key_only
from caicaini.api_keys.schemas import CreatedKey, CreateKey, KeyList, KeyOut, LeakReport
from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor
from caicaini.errors import InvalidInput
from caicaini.http.deps import app_context, client_ip

router = APIRouter(tags=["api keys"])

REPORT_MAX_BYTES = 4096


@router.post("/api/v1/keys", status_code=201, response_model=CreatedKey)
async def create_key(
    body: CreateKey, request: Request, account: CurrentAccount = Depends(require_csrf)
) -> CreatedKey:
    ctx = app_context(request)
    options = KeyOptions(
        name=body.name,
        expires_at=body.expires_at,
        allowed_models=body.allowed_models,
        daily_credit_cap=body.daily_credit_cap,
        monthly_credit_cap=body.monthly_credit_cap,
    )
    actor = Actor("account", account.id, client_ip(request))
    async with ctx.transaction() as session:
        key, secret = await ApiKeyService(session, ctx.clock).create(
            account.id, options, actor=actor
        )
    out = KeyOut.of(key, ctx.clock.now())
    return CreatedKey(**out.model_dump(), key=secret)


@router.get("/api/v1/keys", response_model=KeyList)
async def list_keys(request: Request, account: Reader = Depends(account_or_key)) -> KeyList:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        keys = await ApiKeyService(session, ctx.clock).list_keys(account.id)
    now = ctx.clock.now()
    return KeyList(data=[KeyOut.of(k, now) for k in keys])


@router.delete("/api/v1/keys/current", response_model=KeyOut)
async def revoke_calling_key(request: Request, caller: Reader = Depends(api_key_only)) -> KeyOut:
    """The key revokes itself (``caicaini-code logout``): the one change a key may make."""
    ctx = app_context(request)
    assert caller.key_id is not None
    actor = Actor("api_key", caller.key_id, client_ip(request))
    async with ctx.transaction() as session:
        key = await ApiKeyService(session, ctx.clock).revoke(
            caller.id, caller.key_id, actor=actor, reason="signed_out"
        )
    return KeyOut.of(key, ctx.clock.now())


@router.delete("/api/v1/keys/{key_id}", response_model=KeyOut)
async def revoke_key(
    key_id: str, request: Request, account: CurrentAccount = Depends(require_csrf)
) -> KeyOut:
    ctx = app_context(request)
    actor = Actor("account", account.id, client_ip(request))
    async with ctx.transaction() as session:
        key = await ApiKeyService(session, ctx.clock).revoke(account.id, key_id, actor=actor)
    return KeyOut.of(key, ctx.clock.now())


@router.post("/v1/keys/report-leak", status_code=202)
async def report_leak(request: Request) -> Response:
    """Public. A valid key is revoked at once and its owner told; the answer never says
    whether the key existed, so the endpoint cannot be used to test keys."""
    from caicaini.gateway.edge import read_json

    ctx = app_context(request)
    raw, _size = await read_json(request, REPORT_MAX_BYTES)
    try:
        body = LeakReport.model_validate(raw)
    except ValidationError:
        raise InvalidInput('send {"key": "<the leaked key>"}', field="key") from None
    async with ctx.transaction() as session:
        await ApiKeyService(session, ctx.clock).report_leak(
            body.key.strip(), ip=client_ip(request), public_url=ctx.settings.public_url
        )
    return JSONResponse(
        {"status": "received", "message": "If this is a valid key, it has been revoked."},
        status_code=202,
    )

"""The owner's view of metering, with the session or an API key: ``GET /api/v1/usage``
(paginated; filter by key, model and date), ``GET /api/v1/usage/summary`` (credits and
messages over a period, e.g. today's spend), ``GET /api/v1/usage/{request_id}`` (one message
by its request id: how a client learns what a cut stream cost) and
``GET /api/v1/receipts/{id}`` (with its signature and a ``verified`` flag)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from caicaini.api_keys.deps import Reader, account_or_key
from caicaini.errors import InvalidInput, NotFound
from caicaini.gateway import receipts
from caicaini.gateway.repository import UsageRepository
from caicaini.http.deps import app_context
from caicaini.kit.pagination import MAX_LIMIT, MAX_OFFSET, trim
from caicaini.usage.views import usage_item

router = APIRouter(tags=["usage"])


def _aware(*values: datetime | None) -> None:
    for value in values:
        if value is not None and value.tzinfo is None:
            raise InvalidInput("dates must carry a timezone (e.g. 2026-11-26T00:00:00Z)")


@router.get("/api/v1/usage")
async def usage(
    request: Request,
    account: Reader = Depends(account_or_key),
    key_id: str | None = None,
    model: str | None = None,
    since: datetime | None = Query(default=None, alias="from"),
    until: datetime | None = Query(default=None, alias="to"),
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    _aware(since, until)
    ctx = app_context(request)
    async with ctx.read() as session:
        rows = await UsageRepository(session).page(
            account.id,
            key_id=key_id,
            model=model,
            since=since,
            until=until,
            limit=limit + 1,
            offset=offset,
        )
    rows, has_more = trim(rows, limit)
    items = [usage_item(r, receipt_id) for r, receipt_id in rows]
    return {"data": items, "limit": limit, "offset": offset, "has_more": has_more}


@router.get("/api/v1/usage/summary")
async def usage_summary(
    request: Request,
    account: Reader = Depends(account_or_key),
    since: datetime = Query(alias="from"),
    until: datetime | None = Query(default=None, alias="to"),
    key_id: str | None = None,
) -> dict[str, Any]:
    """Credits charged and messages in ``[from, to)``, in total and per model."""
    _aware(since, until)
    ctx = app_context(request)
    async with ctx.read() as session:
        per_model = await UsageRepository(session).totals(
            account.id, since=since, until=until, key_id=key_id
        )
    return {
        "from": since.isoformat(),
        "to": until.isoformat() if until else None,
        "credits_charged": sum(credits for _m, _n, credits in per_model),
        "messages": sum(count for _m, count, _c in per_model),
        "models": [
            {"model": model, "messages": count, "credits_charged": credits}
            for model, count, credits in per_model
        ],
    }


@router.get("/api/v1/usage/{request_id}")
async def usage_of_request(
    request_id: str, request: Request, account: Reader = Depends(account_or_key)
) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.read() as session:
        found = await UsageRepository(session).usage_with_receipt(request_id)
    if found is None or found[0].account_id != account.id:
        raise NotFound("no message with this request id (yet)")
    return usage_item(*found)


@router.get("/api/v1/receipts/{receipt_id}")
async def receipt(
    receipt_id: str, request: Request, account: Reader = Depends(account_or_key)
) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.read() as session:
        row = await UsageRepository(session).receipt(receipt_id)
    if row is None or row.account_id != account.id:
        raise NotFound("no such receipt")
    return {
        **row.payload,
        "signature": row.signature,
        "signature_algorithm": "HMAC-SHA256",
        "verified": receipts.verify(ctx.settings.secret_key, row.payload, row.signature),
    }

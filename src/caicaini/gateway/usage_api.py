"""The owner's view of metering: ``GET /api/v1/usage`` (paginated; filter by key, model and
date) and ``GET /api/v1/receipts/{id}`` (with its signature and a ``verified`` flag)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from caicaini.accounts.deps import CurrentAccount, current_account
from caicaini.errors import InvalidInput, NotFound
from caicaini.gateway import receipts
from caicaini.gateway.repository import UsageRepository
from caicaini.http.deps import app_context
from caicaini.kit.pagination import MAX_LIMIT, trim

router = APIRouter(tags=["usage"])


@router.get("/api/v1/usage")
async def usage(
    request: Request,
    account: CurrentAccount = Depends(current_account),
    key_id: str | None = None,
    model: str | None = None,
    since: datetime | None = Query(default=None, alias="from"),
    until: datetime | None = Query(default=None, alias="to"),
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    offset: int = Query(default=0, ge=0),
) -> dict[str, Any]:
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("dates must carry a timezone (e.g. 2026-11-26T00:00:00Z)")
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
    items = [
        {
            "request_id": r.id,
            "created_at": r.created_at.isoformat(),
            "key_id": r.key_id,
            "model": r.model,
            "provider": r.provider,
            "endpoint": r.endpoint,
            "stream": r.stream,
            "outcome": r.outcome,
            "usage": {
                "input_tokens": r.input_tokens,
                "output_tokens": r.output_tokens,
                "cache_creation_input_tokens": r.cache_creation_input_tokens,
                "cache_read_input_tokens": r.cache_read_input_tokens,
            },
            "units": r.units,
            "rate": r.rate,
            "sheet_version": r.sheet_version,
            "credits_charged": r.credits_charged,
            "receipt_id": receipt_id,
        }
        for r, receipt_id in rows
    ]
    return {"data": items, "limit": limit, "offset": offset, "has_more": has_more}


@router.get("/api/v1/receipts/{receipt_id}")
async def receipt(
    receipt_id: str, request: Request, account: CurrentAccount = Depends(current_account)
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

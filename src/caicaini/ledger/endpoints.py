"""The owner's credits: ``GET /api/v1/balance`` (balance by grant with expiry dates) and
``GET /api/v1/ledger`` (every movement, newest first, paginated). Both read with the session
or an API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from caicaini.api_keys.deps import Reader, account_or_key
from caicaini.http.deps import app_context
from caicaini.kit.pagination import MAX_LIMIT, MAX_OFFSET, trim
from caicaini.ledger.commands import grant_json
from caicaini.ledger.service import LedgerService

router = APIRouter(tags=["credits"])


@router.get("/api/v1/balance")
async def balance(request: Request, account: Reader = Depends(account_or_key)) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        available = await ledger.balance(account.id)
        grants = await ledger.grants(account.id)
    return {
        "balance": available,
        "grants": [grant_json(g) for g in grants if g.active],
        "past_grants": [grant_json(g) for g in grants if not g.active],
    }


@router.get("/api/v1/ledger")
async def history(
    request: Request,
    account: Reader = Depends(account_or_key),
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        entries = await LedgerService(session, ctx.clock).history(
            account.id, limit=limit + 1, offset=offset
        )
    entries, has_more = trim(entries, limit)
    return {
        "items": [
            {
                "id": e.id,
                "kind": e.kind,
                "amount": e.amount,
                "charged": e.charged,
                "grant_id": e.grant_id,
                "request_id": e.request_id,
                "reason": e.reason,
                "created_at": e.created_at.isoformat(),
            }
            for e in entries
        ],
        "limit": limit,
        "offset": offset,
        "has_more": has_more,
    }

"""Notices for the account owner and the Terms of Service:

- ``GET /api/v1/notices`` (paginated) and ``POST /api/v1/notices/{id}/read``
- ``GET /api/v1/terms`` (the version in effect and whether this account accepted it) and
  ``POST /api/v1/terms/accept``
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from caicaini.accounts.deps import CurrentAccount, current_account, require_csrf
from caicaini.errors import NotFound
from caicaini.http.deps import app_context
from caicaini.kit.pagination import MAX_LIMIT, MAX_OFFSET, trim
from caicaini.notices.service import NoticeService
from caicaini.notices.terms import TermsService

router = APIRouter(tags=["notices"])


@router.get("/api/v1/notices")
async def notices(
    request: Request,
    account: CurrentAccount = Depends(current_account),
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        service = NoticeService(session, ctx.clock, ctx.settings.public_url)
        rows = await service.list_for(account.id, limit=limit + 1, offset=offset)
    rows, has_more = trim(rows, limit)
    return {
        "items": [
            {
                "id": n.id,
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "effective_at": n.effective_at.isoformat() if n.effective_at else None,
                "created_at": n.created_at.isoformat(),
                "read": n.read,
            }
            for n in rows
        ],
        "limit": limit,
        "offset": offset,
        "has_more": has_more,
    }


@router.post("/api/v1/notices/{notice_id}/read")
async def mark_read(
    notice_id: str, request: Request, account: CurrentAccount = Depends(require_csrf)
) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        await NoticeService(session, ctx.clock, ctx.settings.public_url).mark_read(
            account.id, notice_id
        )
    return {"id": notice_id, "read": True}


@router.get("/api/v1/terms")
async def terms(
    request: Request, account: CurrentAccount = Depends(current_account)
) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        service = TermsService(session, ctx.clock, ctx.settings.public_url)
        current = await service.current()
        if current is None:
            raise NotFound("no Terms of Service are published")
        accepted = await service.has_accepted(account.id, current.version)
    return {
        "version": current.version,
        "last_updated": current.last_updated.isoformat(),
        "effective_at": current.effective_at.isoformat(),
        "accepted": accepted,
    }


@router.post("/api/v1/terms/accept")
async def accept_terms(
    request: Request, account: CurrentAccount = Depends(require_csrf)
) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        acceptance = await TermsService(session, ctx.clock, ctx.settings.public_url).accept(
            account.id
        )
    return {"version": acceptance.version, "accepted_at": acceptance.accepted_at.isoformat()}

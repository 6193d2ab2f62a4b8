"""Usage and receipts pages.

- ``/usage``: every message through the API or the web chat, newest first, filtered by date
  range (UTC days, both ends included), model, key and source (web or API), with the
  filter's totals and pages of 25;
- ``/usage/export.csv``: the same filter, every row, as CSV;
- ``/usage/receipts/{id}``: one receipt written for a person, with its signature, a "verify"
  action and how to verify it offline; ``/usage/receipts/{id}.json`` downloads it;
- ``/usage/receipts/verify``: paste a receipt you kept and the server says whether its
  signature is valid.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from caicaini.accounts import csrf
from caicaini.accounts.deps import CurrentAccount, current_account
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.http.deps import app_context
from caicaini.usage.receipts import ReceiptService, verify_document
from caicaini.usage.repository import SOURCES, UsageFilter
from caicaini.usage.service import UsageService
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)

USAGE_PAGE = 25
FILTER_FIELDS = ("from", "to", "model", "key", "source")


def _day(raw: str, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("dates look like 2026-11-26", field=field) from exc


def parse_filter(params: dict[str, str], key_ids: set[str]) -> UsageFilter:
    first, last = _day(params.get("from", ""), "from"), _day(params.get("to", ""), "to")
    if first and last and first > last:
        raise InvalidInput("the first day comes after the last one", field="from")
    source = params.get("source") or None
    if source is not None and source not in SOURCES:
        raise InvalidInput("the source is web or api", field="source")
    key = params.get("key") or None
    if key is not None and key not in key_ids:
        raise InvalidInput("no such key", field="key")
    return UsageFilter(
        since=datetime.combine(first, datetime.min.time(), UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        if last
        else None,
        model=params.get("model") or None,
        key_id=key,
        source=source,
    )


def _page_number(raw: str) -> int:
    return max(1, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


async def _choices(ctx: AppContext, account_id: str) -> dict[str, Any]:
    async with ctx.read() as session:
        service = UsageService(session, ctx.clock)
        return {
            "models": await service.models_used(account_id),
            "key_names": await service.key_names(account_id),
        }


@router.get("/usage", response_class=HTMLResponse)
async def usage_page(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    ctx = app_context(request)
    params = {k: request.query_params.get(k, "").strip() for k in FILTER_FIELDS}
    choices = await _choices(ctx, me.id)
    context = {**choices, "params": params, "query": "", "rows": [], "page": 1, "totals": None}
    remember_form(request, "usage.html", context)
    f = parse_filter(params, set(choices["key_names"]))
    page = _page_number(request.query_params.get("page", "1"))
    async with ctx.read() as session:
        report = await UsageService(session, ctx.clock).report(me.id, f, page=page, size=USAGE_PAGE)
    query = urlencode({k: v for k, v in params.items() if v})
    return render(
        request,
        "usage.html",
        {
            **context,
            "query": query,
            "filtered": bool(query),
            "rows": report.rows,
            "totals": report.totals,
            "page": page,
            "has_more": report.has_more,
        },
    )


async def _csv(rows: AsyncIterator[list[object]]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    async for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@router.get("/usage/export.csv")
async def usage_csv(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    ctx = app_context(request)
    params = {k: request.query_params.get(k, "").strip() for k in FILTER_FIELDS}
    choices = await _choices(ctx, me.id)
    remember_form(
        request, "usage.html", {**choices, "params": params, "query": "", "rows": [], "page": 1}
    )
    f = parse_filter(params, set(choices["key_names"]))

    async def body() -> AsyncIterator[str]:
        async with ctx.read() as session:
            async for chunk in _csv(UsageService(session, ctx.clock).csv_rows(me.id, f)):
                yield chunk

    stamp = ctx.clock.now().strftime("%Y-%m-%d")
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="caicaini-usage-{stamp}.csv"'},
    )


@router.get("/usage/receipts/verify", response_class=HTMLResponse)
async def verify_form(request: Request, me: CurrentAccount = Depends(current_account)) -> Response:
    return render(request, "receipt_verify.html", {"pasted": ""})


@router.post("/usage/receipts/verify", response_class=HTMLResponse)
async def verify_receipt(
    request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    ctx = app_context(request)
    form = await request.form()
    pasted = str(form.get("receipt") or "")
    remember_form(request, "receipt_verify.html", {"pasted": pasted})
    csrf.check_session_token(me.csrf_token, form.get(csrf.FIELD))  # type: ignore[arg-type]
    valid = verify_document(ctx.settings.secret_key, pasted)
    return render(
        request, "receipt_verify.html", {"pasted": pasted, "valid": valid, "checked": True}
    )


async def _receipt(request: Request, me: CurrentAccount, receipt_id: str) -> Any:
    ctx = app_context(request)
    async with ctx.read() as session:
        return await ReceiptService(session, ctx.clock, ctx.settings.secret_key).view(
            me.id, receipt_id
        )


@router.get("/usage/receipts/{receipt_id}.json")
async def receipt_download(
    receipt_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    receipt = await _receipt(request, me, receipt_id)
    return Response(
        receipt.document + "\n",
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="receipt-{receipt.id}.json"'},
    )


@router.get("/usage/receipts/{receipt_id}", response_class=HTMLResponse)
async def receipt_page(
    receipt_id: str, request: Request, me: CurrentAccount = Depends(current_account)
) -> Response:
    receipt = await _receipt(request, me, receipt_id)
    return render(request, "receipt.html", {"r": receipt})

"""``POST /api/v1/quote``: what a message would hold, without sending it (a dry run).

The body is the Messages request the client is about to send, byte for byte: the answer is
the hold ``/v1/messages`` would place for it (the most the message can cost: every token of
``max_tokens`` produced, the input bounded by the body's size, as ``Meter.hold`` computes
it), with the rate, the units and the balance. Clients with a spending limit (Caicaini Code's
``--max-credits``) ask before each turn; nothing is held or charged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from caicaini.api_keys.deps import Reader, account_or_key
from caicaini.gateway.edge import read_json
from caicaini.gateway.metering import input_bound
from caicaini.gateway.pipeline import requested_max_tokens, resolve_rate
from caicaini.gateway.state import gateway_state
from caicaini.http.deps import app_context
from caicaini.ledger.service import LedgerService
from caicaini.plans.pricing import max_price

router = APIRouter(tags=["usage"])


@router.post("/api/v1/quote")
async def quote(request: Request, reader: Reader = Depends(account_or_key)) -> dict[str, Any]:
    ctx = app_context(request)
    body, size = await read_json(request, ctx.settings.max_body_bytes)
    rate = await resolve_rate(ctx, gateway_state(ctx), reader.id, body.get("model"))
    max_tokens = requested_max_tokens(body)
    bound = input_bound(size)
    held = max_price(rate, bound, max_tokens)
    async with ctx.read() as session:
        balance = await LedgerService(session, ctx.clock).balance(reader.id)
    return {
        "model": rate.model.id,
        "max_tokens": min(max_tokens, rate.model.max_output_tokens),
        "input_tokens_bound": bound,
        "credits_per_unit": rate.credits_per_unit,
        "units": held.units,
        "max_credits": held.credits,
        "balance": balance,
        "affordable": balance >= held.credits,
        "sheet_version": rate.sheet_version,
    }

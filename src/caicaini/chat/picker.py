"""What the composer offers and quotes: the plan's models with their per-message rates, the
balance, and the hold a message would place ("up to N credits"), computed as the engine's
``Meter.hold`` computes it (``max_price`` over the body's size bound and ``max_tokens``)."""

from __future__ import annotations

from dataclasses import dataclass

from caicaini.chat.service import Draft
from caicaini.context import AppContext
from caicaini.gateway.metering import input_bound
from caicaini.gateway.pipeline import resolve_rate, terms_for
from caicaini.gateway.state import gateway_state
from caicaini.ledger.service import LedgerService
from caicaini.plans.pricing import max_price
from caicaini.plans.service import PlanService


@dataclass(frozen=True)
class ModelChoice:
    id: str
    name: str
    credits_per_message: int


@dataclass(frozen=True)
class Quote:
    model: str
    max_credits: int
    credits_per_message: int
    balance: int

    @property
    def affordable(self) -> bool:
        return self.balance >= self.max_credits


async def plan_models(ctx: AppContext, account_id: str) -> list[ModelChoice]:
    terms = await terms_for(ctx, gateway_state(ctx), account_id)
    async with ctx.read() as session:
        sheet = await PlanService(session, ctx.clock).sheet(terms.sheet_version)
    choices = [
        ModelChoice(model_id, sheet.models[model_id].display_name, rate)
        for model_id, rate in terms.plan.rates.items()
        if model_id in sheet.models
    ]
    return sorted(choices, key=lambda c: (c.credits_per_message, c.name))


async def balance(ctx: AppContext, account_id: str) -> int:
    async with ctx.read() as session:
        return await LedgerService(session, ctx.clock).balance(account_id)


async def quote(ctx: AppContext, draft: Draft) -> Quote:
    rate = await resolve_rate(ctx, gateway_state(ctx), draft.account_id, draft.body["model"])
    held = max_price(rate, input_bound(draft.body_size), int(draft.body["max_tokens"]))
    return Quote(
        rate.model.id, held.credits, rate.credits_per_unit, await balance(ctx, draft.account_id)
    )

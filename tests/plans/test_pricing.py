"""A message is priced in units: max(1, ceil(in / included_in), ceil(out / included_out)),
and every model in the demo catalogue includes 8,000 input and 2,000 output tokens per unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from caicaini.context import AppContext
from caicaini.plans.errors import ModelNotInPlan, NoPriceSheet, UnknownModel, UnknownProduct
from caicaini.plans.hooks import install_default_catalogue
from caicaini.plans.pricing import affordable_max_tokens, max_price, price
from caicaini.plans.service import PlanService
from caicaini.plans.views import ModelRate, ModelView, PlanView
from tests.ledger.support import make_account

SONNET = ModelView(
    "claude-sonnet-4-5", "Claude Sonnet 4.5", "anthropic", "claude-sonnet-4-5", 64000, 8000, 2000
)
PLUS = PlanView("plus", Decimal("10"), 5000, True, 60, 5, 2000, {"claude-sonnet-4-5": 3})
RATE = ModelRate(model=SONNET, credits_per_unit=3, plan=PLUS, sheet_version=1)


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "units"),
    [
        (0, 0, 1),  # even an empty message is one unit
        (8000, 2000, 1),  # exactly what one unit includes
        (8001, 10, 2),  # one token of input over
        (100, 2001, 2),  # one token of output over
        (40000, 3000, 5),  # the larger of the two counts wins
    ],
)
def test_units_are_the_larger_of_input_and_output_units(
    input_tokens: int, output_tokens: int, units: int
) -> None:
    charged = price(RATE, input_tokens, output_tokens)
    assert (charged.units, charged.credits) == (units, units * 3)


def test_the_hold_covers_every_token_max_tokens_allows_capped_at_the_model_limit() -> None:
    assert max_price(RATE, 1000, 4000).credits == 2 * 3
    assert max_price(RATE, 1000, 1_000_000).units == 64000 // 2000


def test_affordable_max_tokens_lowers_max_tokens_to_what_the_balance_covers() -> None:
    assert affordable_max_tokens(RATE, 1000, 10) == 3 * 2000  # 3 units of 3 credits
    assert affordable_max_tokens(RATE, 1000, 2) == 0  # not even one unit
    assert affordable_max_tokens(RATE, 30000, 9) == 0  # the input alone needs 4 units
    assert affordable_max_tokens(RATE, 0, 10**9) == 64000


async def test_nothing_is_priced_before_a_sheet_is_published(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        with pytest.raises(NoPriceSheet):
            await PlanService(session, ctx.clock).current_sheet()


async def test_the_demo_catalogue_is_installed_once(ctx: AppContext) -> None:
    assert await install_default_catalogue(ctx) is True
    assert await install_default_catalogue(ctx) is False
    async with ctx.transaction() as session:
        sheet = await PlanService(session, ctx.clock).current_sheet()
    assert sheet.version == 1
    assert set(sheet.plans) == {"free", "plus", "pro"}
    assert sheet.plans["pro"].rates["claude-opus-4-5"] == 10
    assert sheet.plans["free"].api_keys is False
    assert {t.credits for t in sheet.topups.values()} == {2000, 9000, 25000}
    assert sheet.models["kimi-k2.5"].provider == "moonshot"
    assert sheet.models["kimi-k2.5"].max_output_tokens == 32768


async def test_products_accounts_terms_and_rates(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)
    alice = await make_account(ctx)
    async with ctx.transaction() as session:
        plans = PlanService(session, ctx.clock)
        pro = await plans.product("plan:pro")
        assert (pro.kind, pro.price_usd, pro.credits, pro.sheet_version) == (
            "plan",
            Decimal("30.00"),
            20000,
            1,
        )
        assert (await plans.product("topup:medium")).credits == 9000
        for unknown in ("plan:free", "plan:gold", "topup:huge", "pro"):
            with pytest.raises(UnknownProduct):
                await plans.product(unknown)
        terms = await plans.terms_for(alice)
        assert terms.plan.name == "free"
        rate = await plans.rate_for(alice, "kimi-k2.5")
        assert (rate.credits_per_unit, rate.model.provider) == (1, "moonshot")
        with pytest.raises(ModelNotInPlan) as refused:
            await plans.rate_for(alice, "claude-opus-4-5")
        assert refused.value.code == "model_not_in_plan"
        with pytest.raises(UnknownModel):
            await plans.rate_for(alice, "gpt-free")

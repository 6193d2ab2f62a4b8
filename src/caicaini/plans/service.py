"""PlanService: the price sheet in effect, products for sale, and each account's terms.

The sheet in effect is chosen by the injected clock, so new rates apply exactly from a
sheet's ``effective_at``. An account's plan is the plan of its running subscription period
(free when none runs); if a later sheet dropped that plan, the period keeps the plan of the
sheet it was bought under until it ends.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.kit.clock import Clock
from caicaini.plans.catalogue import FREE_PLAN
from caicaini.plans.errors import ModelNotInPlan, NoPriceSheet, UnknownModel, UnknownProduct
from caicaini.plans.repository import PlanRepository
from caicaini.plans.views import (
    AccountTerms,
    ModelRate,
    PlanView,
    PriceSheetView,
    ProductView,
)


class PlanService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.repo = PlanRepository(session)
        self._sheets: dict[int, PriceSheetView] = {}

    async def current_sheet(self) -> PriceSheetView:
        version = await self.repo.version_in_effect(self.clock.now())
        if version is None:
            raise NoPriceSheet("no price sheet is in effect yet; run `caicaini migrate`")
        return await self.sheet(version)

    async def sheet(self, version: int) -> PriceSheetView:
        if version not in self._sheets:
            loaded = await self.repo.load(version)
            if loaded is None:
                raise NoPriceSheet(f"price sheet version {version} does not exist")
            self._sheets[version] = loaded
        return self._sheets[version]

    async def scheduled_sheets(self) -> list[PriceSheetView]:
        """Published versions that take effect later (announced changes)."""
        rows = await self.repo.scheduled_after(self.clock.now())
        return [await self.sheet(row.version) for row in rows]

    async def product(self, name: str) -> ProductView:
        sheet = await self.current_sheet()
        kind, _, item = name.partition(":")
        if kind == "plan" and item in sheet.plans and item != FREE_PLAN:
            plan = sheet.plans[item]
            return ProductView(
                name, "plan", plan.price_usd, plan.monthly_credits, sheet.version, plan.label
            )
        if kind == "topup" and item in sheet.topups:
            pack = sheet.topups[item]
            return ProductView(
                name, "topup", pack.price_usd, pack.credits, sheet.version, pack.label
            )
        raise UnknownProduct(f"no product named {name!r} is for sale")

    async def terms_for(self, account_id: str) -> AccountTerms:
        sheet = await self.current_sheet()
        period = await self.repo.running_period(account_id, self.clock.now())
        if period is None:
            return AccountTerms(plan=_free(sheet), sheet_version=sheet.version)
        if period.plan_name in sheet.plans:
            return AccountTerms(plan=sheet.plans[period.plan_name], sheet_version=sheet.version)
        bought_under = await self.sheet(period.sheet_version)
        return AccountTerms(
            plan=bought_under.plans[period.plan_name], sheet_version=bought_under.version
        )

    async def rate_for(self, account_id: str, model_id: str) -> ModelRate:
        terms = await self.terms_for(account_id)
        sheet = await self.sheet(terms.sheet_version)
        model = sheet.models.get(model_id)
        if model is None:
            raise UnknownModel(f"unknown model {model_id!r}; GET /v1/models lists the models")
        rate = terms.plan.rates.get(model_id)
        if rate is None:
            raise ModelNotInPlan(
                f"model {model_id!r} is not included in the {terms.plan.name} plan"
            )
        return ModelRate(
            model=model, credits_per_unit=rate, plan=terms.plan, sheet_version=sheet.version
        )


def _free(sheet: PriceSheetView) -> PlanView:
    plan = sheet.plans.get(FREE_PLAN)
    if plan is None:
        raise NoPriceSheet(f"price sheet {sheet.version} has no {FREE_PLAN!r} plan")
    return plan

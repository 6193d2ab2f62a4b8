"""SQL for price sheets and the catalogue they price."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.plans import CatalogueModel, Plan, PlanModelRate, PriceSheet, TopupPack
from caicaini.models.subscriptions import SubscriptionPeriod
from caicaini.plans.views import ModelView, PlanView, PriceSheetView, TopupView


class PlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def version_in_effect(self, at: datetime) -> int | None:
        stmt = (
            select(PriceSheet.version)
            .where(PriceSheet.effective_at <= at)
            .order_by(PriceSheet.effective_at.desc(), PriceSheet.version.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def latest_version(self) -> int | None:
        return (await self.session.execute(select(func.max(PriceSheet.version)))).scalar()

    async def sheet_rows(self) -> list[PriceSheet]:
        stmt = select(PriceSheet).order_by(PriceSheet.version)
        return list((await self.session.scalars(stmt)).all())

    async def scheduled_after(self, at: datetime) -> list[PriceSheet]:
        stmt = select(PriceSheet).where(PriceSheet.effective_at > at).order_by(PriceSheet.version)
        return list((await self.session.scalars(stmt)).all())

    async def load(self, version: int) -> PriceSheetView | None:
        sheet = await self.session.get(PriceSheet, version)
        if sheet is None:
            return None
        models = (
            await self.session.scalars(
                select(CatalogueModel).where(CatalogueModel.sheet_version == version)
            )
        ).all()
        plans = (
            await self.session.scalars(select(Plan).where(Plan.sheet_version == version))
        ).all()
        rates = (
            await self.session.scalars(
                select(PlanModelRate).where(PlanModelRate.sheet_version == version)
            )
        ).all()
        topups = (
            await self.session.scalars(select(TopupPack).where(TopupPack.sheet_version == version))
        ).all()
        by_plan: dict[str, dict[str, int]] = {}
        for rate in rates:
            by_plan.setdefault(rate.plan_name, {})[rate.model_id] = rate.credits_per_unit
        return PriceSheetView(
            version=version,
            effective_at=sheet.effective_at,
            summary=sheet.summary,
            models={
                m.model_id: ModelView(
                    id=m.model_id,
                    display_name=m.display_name,
                    provider=m.provider,
                    upstream_model=m.upstream_model,
                    max_output_tokens=m.max_output_tokens,
                    included_input_tokens=m.included_input_tokens,
                    included_output_tokens=m.included_output_tokens,
                )
                for m in models
            },
            plans={
                p.name: PlanView(
                    name=p.name,
                    display_name=p.display_name,
                    price_usd=p.price_usd,
                    monthly_credits=p.monthly_credits,
                    api_keys=p.api_keys,
                    rpm=p.rpm,
                    concurrency=p.concurrency,
                    messages_per_day=p.messages_per_day,
                    rates=dict(sorted(by_plan.get(p.name, {}).items())),
                )
                for p in plans
            },
            topups={
                t.name: TopupView(name=t.name, price_usd=t.price_usd, credits=t.credits)
                for t in topups
            },
        )

    async def insert(
        self,
        sheet: PriceSheetView,
        *,
        version: int,
        effective_at: datetime,
        published_at: datetime,
        classification: str,
        published_by: str | None,
    ) -> None:
        self.session.add(
            PriceSheet(
                version=version,
                effective_at=effective_at,
                published_at=published_at,
                classification=classification,
                summary=sheet.summary,
                published_by=published_by,
            )
        )
        await self.session.flush()
        for m in sheet.models.values():
            self.session.add(
                CatalogueModel(
                    sheet_version=version,
                    model_id=m.id,
                    display_name=m.display_name,
                    provider=m.provider,
                    upstream_model=m.upstream_model,
                    max_output_tokens=m.max_output_tokens,
                    included_input_tokens=m.included_input_tokens,
                    included_output_tokens=m.included_output_tokens,
                )
            )
        for p in sheet.plans.values():
            self.session.add(
                Plan(
                    sheet_version=version,
                    name=p.name,
                    display_name=p.display_name,
                    price_usd=p.price_usd,
                    monthly_credits=p.monthly_credits,
                    api_keys=p.api_keys,
                    rpm=p.rpm,
                    concurrency=p.concurrency,
                    messages_per_day=p.messages_per_day,
                )
            )
        await self.session.flush()
        for p in sheet.plans.values():
            for model_id, credits_per_unit in p.rates.items():
                self.session.add(
                    PlanModelRate(
                        sheet_version=version,
                        plan_name=p.name,
                        model_id=model_id,
                        credits_per_unit=credits_per_unit,
                    )
                )
        for t in sheet.topups.values():
            self.session.add(
                TopupPack(
                    sheet_version=version, name=t.name, price_usd=t.price_usd, credits=t.credits
                )
            )
        await self.session.flush()

    async def running_period(self, account_id: str, at: datetime) -> SubscriptionPeriod | None:
        stmt = (
            select(SubscriptionPeriod)
            .where(
                SubscriptionPeriod.account_id == account_id,
                SubscriptionPeriod.starts_at <= at,
                SubscriptionPeriod.ends_at > at,
                SubscriptionPeriod.status.in_(("scheduled", "active")),
            )
            .order_by(SubscriptionPeriod.starts_at.desc())
            .limit(1)
        )
        return (await self.session.scalars(stmt)).first()

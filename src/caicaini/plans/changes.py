"""Scheduled price changes (Terms §1: seven days' notice for anything that reduces what an
active subscription gets).

An operator schedules a new sheet version with an effective time. It is compared with the
sheet in effect now and with the latest scheduled one; it *reduces* a plan when the plan
disappears, gets fewer monthly credits, a higher price, a higher rate for a model, loses a
model, gets a lower limit (requests/minute, concurrency, messages/day, API keys) or a model
it offers gets a lower output limit or fewer included tokens per unit. A reducing change must
take effect at least seven days after it is announced, and every account with a running or
queued period on an affected plan gets an e-mail and a dashboard notice at once. Other
changes may take effect immediately. Sheets are immutable; ``current_sheet`` picks the new
one from its ``effective_at`` on, by the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock
from caicaini.notices.repository import NoticeRepository
from caicaini.notices.service import NoticeService
from caicaini.plans.catalogue import FREE_PLAN
from caicaini.plans.errors import InsufficientNotice, InvalidSheet
from caicaini.plans.repository import PlanRepository
from caicaini.plans.service import PlanService
from caicaini.plans.views import PlanView, PriceSheetView

NOTICE_PERIOD = timedelta(days=7)
_LIMITS = (
    ("rpm", "requests per minute"),
    ("concurrency", "concurrent requests"),
    ("messages_per_day", "messages per day"),
)


@dataclass(frozen=True)
class ScheduledChange:
    version: int
    effective_at: datetime
    reducing: bool
    reductions: dict[str, list[str]]  # plan name -> what it loses
    notified: int


def reductions(old: PriceSheetView, new: PriceSheetView) -> dict[str, list[str]]:
    """What each paid plan of ``old`` loses in ``new`` (empty when nothing is reduced)."""
    found: dict[str, list[str]] = {}
    for name, before in old.plans.items():
        after = new.plans.get(name)
        items = (
            ["the plan is withdrawn"] if after is None else _plan_losses(old, new, before, after)
        )
        if items:
            found[name] = items
    return found


def _plan_losses(
    old: PriceSheetView, new: PriceSheetView, before: PlanView, after: PlanView
) -> list[str]:
    items: list[str] = []
    if after.monthly_credits < before.monthly_credits:
        items.append(f"monthly credits {before.monthly_credits} → {after.monthly_credits}")
    if after.price_usd > before.price_usd:
        items.append(f"price ${before.price_usd} → ${after.price_usd} a month")
    if before.api_keys and not after.api_keys:
        items.append("API keys are no longer included")
    for field, label in _LIMITS:
        was, now = getattr(before, field), getattr(after, field)
        if now < was:
            items.append(f"{label} {was} → {now}")
    for model_id, rate in before.rates.items():
        new_rate = after.rates.get(model_id)
        if new_rate is None or model_id not in new.models:
            items.append(f"{model_id} is no longer available")
            continue
        if new_rate > rate:
            items.append(f"{model_id} costs {new_rate} credits per message unit instead of {rate}")
        was_m, now_m = old.models[model_id], new.models[model_id]
        if now_m.max_output_tokens < was_m.max_output_tokens:
            items.append(
                f"{model_id} output limit {was_m.max_output_tokens} → "
                f"{now_m.max_output_tokens} tokens"
            )
        if (
            now_m.included_input_tokens < was_m.included_input_tokens
            or now_m.included_output_tokens < was_m.included_output_tokens
        ):
            items.append(f"{model_id} includes fewer tokens per message unit")
    return items


def validate(sheet: PriceSheetView) -> None:
    if FREE_PLAN not in sheet.plans:
        raise InvalidSheet(f"a price sheet needs a {FREE_PLAN!r} plan")
    for plan in sheet.plans.values():
        for model_id, rate in plan.rates.items():
            if model_id not in sheet.models:
                raise InvalidSheet(f"plan {plan.name!r} prices unknown model {model_id!r}")
            if rate <= 0:
                raise InvalidSheet(
                    f"plan {plan.name!r}: a rate must be a positive number of credits"
                )


class PriceChangeService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.repo = PlanRepository(session)
        self.plans = PlanService(session, clock)
        self.notices = NoticeService(session, clock, public_url)

    async def schedule(
        self, sheet: PriceSheetView, *, effective_at: datetime | None, actor: Actor
    ) -> ScheduledChange:
        """Publish ``sheet`` as the next version from ``effective_at`` (None: at once)."""
        validate(sheet)
        now = self.clock.now()
        effective_at = effective_at or now
        if effective_at < now:
            raise InvalidInput(
                "a price change cannot take effect in the past", field="effective_at"
            )
        latest_version = await self.repo.latest_version()
        if latest_version is not None:
            latest = await self.plans.sheet(latest_version)
            if latest.effective_at is not None and effective_at < latest.effective_at:
                raise InvalidInput(
                    f"version {latest_version} takes effect at {latest.effective_at.isoformat()}; "
                    "a newer version cannot take effect before it",
                    field="effective_at",
                )
        compared = await self.reductions_for(sheet)
        reducing = bool(compared)
        if reducing and effective_at < now + NOTICE_PERIOD:
            earliest = (now + NOTICE_PERIOD).strftime("%d %B %Y %H:%M:%S UTC")
            raise InsufficientNotice(
                "this change reduces what subscribers get ("
                + "; ".join(f"{p}: {', '.join(i)}" for p, i in sorted(compared.items()))
                + f"); it needs 7 days' notice and can take effect at {earliest} at the earliest",
                field="effective_at",
            )
        version = (latest_version or 0) + 1
        await self.repo.insert(
            sheet,
            version=version,
            effective_at=effective_at,
            published_at=now,
            classification="initial"
            if latest_version is None
            else ("reducing" if reducing else "non_reducing"),
            published_by=actor.id,
        )
        notified = await self._notify(version, effective_at, compared) if reducing else 0
        await AuditService(self.session, self.clock).record(
            "plans.price_change_scheduled",
            actor=actor,
            target_type="price_sheet",
            target_id=str(version),
            details={
                "effective_at": effective_at.isoformat(),
                "reducing": reducing,
                "reductions": compared,
                "notified": notified,
            },
        )
        return ScheduledChange(version, effective_at, reducing, compared, notified)

    async def reductions_for(self, sheet: PriceSheetView) -> dict[str, list[str]]:
        """What ``sheet`` takes from each plan, against the sheet in effect now and the latest
        scheduled one (a reduction against either needs the seven days' notice)."""
        latest_version = await self.repo.latest_version()
        compared: dict[str, list[str]] = {}
        if latest_version is None:
            return compared
        for base in {latest_version, (await self.plans.current_sheet()).version}:
            for plan, items in reductions(await self.plans.sheet(base), sheet).items():
                compared.setdefault(plan, [])
                compared[plan] += [i for i in items if i not in compared[plan]]
        return compared

    async def _notify(
        self, version: int, effective_at: datetime, found: dict[str, list[str]]
    ) -> int:
        when = effective_at.strftime("%d %B %Y %H:%M UTC")
        recipients = await NoticeRepository(self.session).subscribers(set(found), self.clock.now())
        seen: set[str] = set()
        for account_id, email, plan in recipients:
            if account_id in seen:
                continue
            seen.add(account_id)
            body = (
                f"On {when} the {plan} plan changes: " + "; ".join(found[plan]) + ". "
                "Nothing changes before that date. See the pricing page for the full price sheet."
            )
            await self.notices.notify(
                account_id,
                kind="price_change",
                ref=f"price_sheet:{version}",
                subject=f"Changes to your {plan} plan from {when}",
                body=body,
                email=email,
                effective_at=effective_at,
            )
        return len(seen)

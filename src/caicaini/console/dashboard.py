"""The console dashboard: per UTC day over the last 30 days, revenue (the USD price of the
orders paid that day, reversed ones left out), credits issued (every grant), spent (what
settled calls charged) and expired; and now: running subscriptions, payments waiting for
review, and each provider route's error rate over the last hour (``status.service``).
Money is summed as exact decimals, credits as integers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.console.payments import review_queue
from caicaini.console.repository import ConsoleRepository
from caicaini.kit.clock import Clock
from caicaini.status.service import HealthService, routes_of

DAYS = 30


@dataclass
class Day:
    day: str
    revenue: Decimal = Decimal(0)
    issued: int = 0
    spent: int = 0
    expired: int = 0


async def daily(session: AsyncSession, clock: Clock) -> list[Day]:
    today = clock.now().astimezone(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first, time(0), tzinfo=UTC)
    days = {
        (first + timedelta(days=n)).isoformat(): Day((first + timedelta(days=n)).isoformat())
        for n in range(DAYS)
    }
    repo = ConsoleRepository(session)
    for paid_at, usd in await repo.paid_orders_since(since):
        key = paid_at.astimezone(UTC).date().isoformat()
        if key in days:
            days[key].revenue += Decimal(usd)
    for day, kind, amount, charged in await repo.ledger_by_day(since):
        if day not in days:
            continue
        if kind == "grant":
            days[day].issued += amount
        elif kind == "settle":
            days[day].spent += charged
        else:
            days[day].expired += -amount
    return list(days.values())


def chart_data(days: list[Day]) -> dict[str, Any]:
    """What static/console.js draws (the same figures are in the table)."""
    return {
        "days": [d.day for d in days],
        "revenue": [str(d.revenue) for d in days],
        "issued": [d.issued for d in days],
        "spent": [d.spent for d in days],
        "expired": [d.expired for d in days],
    }


async def overview(
    session: AsyncSession, clock: Clock, public_url: str, providers: Any
) -> dict[str, Any]:
    days = await daily(session, clock)
    paid, complimentary = await ConsoleRepository(session).running_periods(clock.now())
    return {
        "days": days,
        "chart": chart_data(days),
        "totals": Day(
            "total",
            sum((d.revenue for d in days), Decimal(0)),
            sum(d.issued for d in days),
            sum(d.spent for d in days),
            sum(d.expired for d in days),
        ),
        "subscriptions": {"paid": paid, "complimentary": complimentary},
        "queue_size": len(await review_queue(session, clock, public_url)),
        "health": await HealthService(session, clock).routes(routes_of(providers)),
    }

"""UsageService: what the customer's pages and exports show of their usage.

- ``report``: one page of records under a filter, with the filter's totals;
- ``dashboard``: credits used today and this month, a 30-day chart of credits per UTC day by
  model, the latest messages;
- ``csv_rows``: every record under a filter, for the CSV download;
- ``export_usage`` / ``export_receipts``: the data export's sections.

Receipts, written for a person, are in ``caicaini.usage.receipts``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import export
from caicaini.api_keys.service import ApiKeyService
from caicaini.kit.clock import Clock, start_of_month
from caicaini.kit.pagination import trim
from caicaini.models.usage import UsageRecord
from caicaini.usage.repository import Totals, UsageFilter, UsageReportRepository
from caicaini.usage.views import usage_item

CHART_DAYS = 30
RECENT = 5
CSV_BATCH = 500
CSV_COLUMNS = (
    "time_utc", "request_id", "source", "key_name", "key_id", "model", "provider", "endpoint",
    "outcome", "input_tokens", "output_tokens", "cache_read_input_tokens",
    "cache_creation_input_tokens", "units", "rate", "price_sheet_version", "credits_charged",
    "receipt_id",
)  # fmt: skip


@dataclass(frozen=True)
class UsagePage:
    rows: list[tuple[UsageRecord, str | None]]
    has_more: bool
    totals: Totals


@dataclass(frozen=True)
class Chart:
    """Credits per UTC day by model: ``days`` ('YYYY-MM-DD', oldest first) and, per model,
    one figure per day."""

    days: list[str]
    series: dict[str, list[int]]

    @property
    def total(self) -> int:
        return sum(sum(values) for values in self.series.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "models": [{"model": m, "credits": v} for m, v in self.series.items()],
        }


@dataclass(frozen=True)
class DashboardUsage:
    today: int
    month: int
    chart: Chart
    recent: list[tuple[UsageRecord, str | None]]


def day_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def csv_safe(value: object) -> object:
    """A text cell a spreadsheet would read as a formula (a key named ``=HYPERLINK(...)``)
    starts with a quote instead."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_row(r: UsageRecord, receipt_id: str | None, key_names: dict[str, str]) -> list[object]:
    """One record in the order of ``CSV_COLUMNS``."""
    return [
        r.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        r.id,
        "api" if r.key_id else "web",
        key_names.get(r.key_id, "") if r.key_id else "",
        r.key_id or "",
        r.model,
        r.provider,
        r.endpoint,
        r.outcome,
        r.input_tokens,
        r.output_tokens,
        r.cache_read_input_tokens,
        r.cache_creation_input_tokens,
        r.units,
        r.rate,
        r.sheet_version,
        r.credits_charged,
        receipt_id or "",
    ]


class UsageService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.repo = UsageReportRepository(session)

    async def report(self, account_id: str, f: UsageFilter, *, page: int, size: int) -> UsagePage:
        rows = await self.repo.page(account_id, f, limit=size + 1, offset=(page - 1) * size)
        rows, has_more = trim(rows, size)
        return UsagePage(rows, has_more, await self.repo.totals(account_id, f))

    async def models_used(self, account_id: str) -> list[str]:
        return await self.repo.models_used(account_id)

    async def key_names(self, account_id: str) -> dict[str, str]:
        keys = await ApiKeyService(self.session, self.clock).list_keys(account_id)
        return {k.id: k.name for k in keys}

    async def dashboard(self, account_id: str) -> DashboardUsage:
        now = self.clock.now()
        today = day_start(now)
        spent_today = await self.repo.totals(account_id, UsageFilter(since=today))
        spent_month = await self.repo.totals(account_id, UsageFilter(since=start_of_month(now)))
        recent = await self.repo.page(account_id, UsageFilter(), limit=RECENT, offset=0)
        return DashboardUsage(
            today=spent_today.credits,
            month=spent_month.credits,
            chart=await self.chart(account_id, today),
            recent=recent,
        )

    async def chart(self, account_id: str, today: datetime) -> Chart:
        first = today - timedelta(days=CHART_DAYS - 1)
        days = [(first + timedelta(days=n)).strftime("%Y-%m-%d") for n in range(CHART_DAYS)]
        index = {day: n for n, day in enumerate(days)}
        series: dict[str, list[int]] = {}
        for day, model, credits in await self.repo.credits_by_day_and_model(account_id, first):
            if day in index:
                series.setdefault(model, [0] * CHART_DAYS)[index[day]] += credits
        return Chart(days, series)

    async def csv_rows(self, account_id: str, f: UsageFilter) -> AsyncIterator[list[object]]:
        """The header, then every record under ``f``, newest first, fetched in batches."""
        names = await self.key_names(account_id)
        yield list(CSV_COLUMNS)
        offset = 0
        while True:
            batch = await self.repo.page(account_id, f, limit=CSV_BATCH, offset=offset)
            for r, receipt_id in batch:
                yield [csv_safe(v) for v in csv_row(r, receipt_id, names)]
            if len(batch) < CSV_BATCH:
                return
            offset += CSV_BATCH


async def export_usage(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    repo = UsageReportRepository(session)
    items: list[dict[str, Any]] = []
    offset = 0
    while batch := await repo.page(account_id, UsageFilter(), limit=CSV_BATCH, offset=offset):
        items += [usage_item(r, receipt_id) for r, receipt_id in batch]
        offset += CSV_BATCH
    return items


async def export_receipts(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    rows = await UsageReportRepository(session).receipts_of(account_id)
    return [
        {"payload": r.payload, "signature": r.signature, "signature_algorithm": "HMAC-SHA256"}
        for r in rows
    ]


export.register_section("usage", export_usage)
export.register_section("receipts", export_receipts)

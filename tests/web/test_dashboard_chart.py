"""The dashboard's figures from real metered messages: credits used today and this month, and
the chart of credits per UTC day by model over the last 30 days (Chart.js, vendored, with the
same figures as a table), and the recent messages."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from tests.gateway.support import issue_key
from tests.web.helpers import login
from tests.web.usage_support import paying_customer, send_on

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    """Starts 60 days back, so the catalogue (installed by ``gctx``) prices every day of the
    chart; the test then moves to 26 November 12:00 UTC."""
    return FrozenClock(NOW - timedelta(days=60))


def stat(html: str, name: str) -> str:
    match = re.search(rf'id="{name}">([^<]+)<', html)
    assert match, name
    return match.group(1)


def chart_of(html: str) -> dict[str, object]:
    match = re.search(r"data-chart='([^']*)'", html)
    assert match, "no chart data on the page"
    return dict(json.loads(htmllib.unescape(match.group(1))))


async def test_used_today_this_month_and_the_chart_by_day_and_model(
    gclient: httpx.AsyncClient, gctx: AppContext, clock: FrozenClock
) -> None:
    clock.set(NOW)  # the catalogue was installed 60 days ago (the ``clock`` fixture above)
    account_id = await paying_customer(gctx, plan_since=NOW - timedelta(days=40))
    key = await issue_key(gctx, account_id, name="laptop")
    today = [
        await send_on(clock, NOW - timedelta(hours=1), gclient, key, "claude-sonnet-4-5"),
        await send_on(clock, NOW - timedelta(minutes=5), gclient, key, "kimi-k2.7-code"),
    ]
    earlier_this_month = await send_on(clock, NOW - timedelta(days=6), gclient, key, "kimi-k2.5")
    last_month = await send_on(clock, NOW - timedelta(days=28), gclient, key, "claude-sonnet-4-5")
    too_old = await send_on(clock, NOW - timedelta(days=31), gclient, key, "claude-sonnet-4-5")
    assert min([*today, earlier_this_month, last_month, too_old]) > 0

    await login(gclient)
    page = await gclient.get("/dashboard")
    assert page.status_code == 200
    assert stat(page.text, "used-today") == f"{sum(today):,}"
    assert stat(page.text, "used-month") == f"{sum(today) + earlier_this_month:,}"

    chart = chart_of(page.text)
    days = chart["days"]
    assert isinstance(days, list) and len(days) == 30
    assert (days[0], days[-1]) == ("2026-10-28", "2026-11-26")
    series = {s["model"]: s["credits"] for s in chart["models"]}  # type: ignore[attr-defined]
    assert set(series) == {"claude-sonnet-4-5", "kimi-k2.7-code", "kimi-k2.5"}
    assert series["claude-sonnet-4-5"][-1] == today[0]
    assert series["claude-sonnet-4-5"][days.index("2026-10-29")] == last_month
    assert sum(series["claude-sonnet-4-5"]) == today[0] + last_month  # 31 days ago is off it
    assert series["kimi-k2.7-code"][-1] == today[1]
    assert series["kimi-k2.5"][days.index("2026-11-20")] == earlier_this_month
    # The chart is drawn by the vendored Chart.js, and its figures are also a table.
    assert '<script src="/static/vendor/chart.js/chart.umd.min.js">' in page.text
    assert '<canvas id="usage-chart" role="img"' in page.text
    assert "The same figures as a table" in page.text

    recent = page.text.split('id="recent"', 1)[1]
    assert recent.count('href="/usage/receipts/') == 5
    assert "key laptop" in recent

"""The console dashboard: per day revenue, credits issued, spent and expired (exact sums),
running subscriptions, payments awaiting review and provider error rates."""

from __future__ import annotations

import httpx

from caicaini.context import AppContext
from tests.console.helpers import as_operator
from tests.console.payment_support import manual_claim, paid_topup, spend
from tests.gateway.support import customer


async def test_the_dashboard_shows_the_day_and_now(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await as_operator(client, ctx)
    account_id, _ = await paid_topup(ctx)  # $5 paid, 2,000 credits issued
    await spend(ctx, account_id, 300, "req_1")
    await manual_claim(ctx, "bob@example.com", tx_hash="feedface00112233")  # waiting
    await customer(ctx, plan="pro", email="pro@example.com")  # complimentary, 1,000 credits
    page = await client.get("/console")
    assert page.status_code == 200
    html = page.text
    assert 'id="revenue-total">$5<' in html
    assert 'id="queue-size"><a href="/console/payments">1<' in html
    assert 'id="subscriptions">0<' in html and "and 1 complimentary" in html
    today = html.split('id="daily"', 1)[1].split("<tbody>", 1)[1].split("</tr>", 1)[0]
    cells = [c.split("<", 1)[0] for c in today.split('class="num">')[1:]]
    assert "2026-11-26" in today and cells == ["$5", "3,000", "300", "0"]
    assert 'id="console-chart-data"' in html and "/static/vendor/chart.js/chart.umd.min.js" in html
    assert 'id="provider-health"' in html and "Demo" in html

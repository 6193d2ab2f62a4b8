"""Usage and receipts, from real metered messages: filters (date range, model, key, source web
or API), totals, pagination that keeps the filter, CSV export, and a receipt written for a
person whose signature the server verifies (and refuses when altered)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta

import httpx

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.testing.fake_upstream import Behaviour, FakeScript
from tests.gateway.support import issue_key
from tests.web.helpers import csrf_of, login
from tests.web.usage_support import paying_customer, send, web_message

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def receipt_links(html: str) -> list[str]:
    return re.findall(r'href="/usage/receipts/(rcpt_[^"]+)"', html)


def totals(html: str) -> dict[str, str]:
    box = html.split('id="usage-totals"', 1)[1].split("</div>", 1)[0]
    return dict(re.findall(r"<span>([A-Za-z ]+) <strong>([^<]+)</strong>", box))


async def test_filters_by_model_key_source_and_dates_with_totals(
    gclient: httpx.AsyncClient, gctx: AppContext, clock: FrozenClock
) -> None:
    account_id = await paying_customer(gctx)
    laptop = await issue_key(gctx, account_id, name="laptop")
    ci = await issue_key(gctx, account_id, name="ci")
    charges = [
        int((await send(gclient, laptop, "claude-sonnet-4-5")).headers["caicaini-credits-charged"]),
        int((await send(gclient, laptop, "kimi-k2.5")).headers["caicaini-credits-charged"]),
        int((await send(gclient, ci, "claude-sonnet-4-5")).headers["caicaini-credits-charged"]),
    ]
    await web_message(gctx, account_id, NOW - timedelta(days=3), credits=7)
    await login(gclient)

    everything = await gclient.get("/usage")
    assert len(receipt_links(everything.text)) == 3  # the web row of this test has no receipt
    assert totals(everything.text)["Messages"] == "4"
    assert totals(everything.text)["Credits"] == f"{sum(charges) + 7:,}"

    claude = await gclient.get("/usage", params={"model": "claude-sonnet-4-5"})
    assert totals(claude.text)["Messages"] == "2"
    assert totals(claude.text)["Credits"] == f"{charges[0] + charges[2]:,}"

    options = re.findall(r'<option value="(key_[^"]+)"[^>]*>([^<]+)</option>', everything.text)
    by_name = {name: key_id for key_id, name in options}
    assert set(by_name) == {"laptop", "ci"}
    ci_only = await gclient.get("/usage", params={"key": by_name["ci"]})
    assert totals(ci_only.text)["Messages"] == "1" and "key ci" in ci_only.text
    assert "key laptop" not in ci_only.text.split('id="usage"', 1)[1]

    web = await gclient.get("/usage", params={"source": "web"})
    assert totals(web.text)["Messages"] == "1" and totals(web.text)["Credits"] == "7"
    api = await gclient.get("/usage", params={"source": "api"})
    assert totals(api.text)["Messages"] == "3"

    three_days_ago = await gclient.get("/usage", params={"from": "2026-11-23", "to": "2026-11-23"})
    assert totals(three_days_ago.text)["Messages"] == "1"
    today = await gclient.get("/usage", params={"from": "2026-11-26"})
    assert totals(today.text)["Messages"] == "3"
    # The filter survives in the CSV link.
    assert 'href="/usage/export.csv?from=2026-11-26"' in today.text


async def test_bad_filters_are_explained_on_the_page(
    gclient: httpx.AsyncClient, gctx: AppContext
) -> None:
    await paying_customer(gctx)
    other = await paying_customer(gctx, "bob@example.com")
    await issue_key(gctx, other, name="bobs")
    await login(gclient)
    for params, message in [
        ({"from": "26/11/2026"}, "dates look like 2026-11-26"),
        ({"from": "2026-11-27", "to": "2026-11-20"}, "the first day comes after the last one"),
        ({"source": "email"}, "the source is web or api"),
        ({"key": "key_of_someone_else"}, "no such key"),
    ]:
        response = await gclient.get("/usage", params=params)
        assert response.status_code == 400, params
        assert message in response.text and "<h1>Usage</h1>" in response.text
        csv_response = await gclient.get("/usage/export.csv", params=params)
        assert csv_response.status_code == 400 and message in csv_response.text


async def test_pagination_keeps_the_filter(
    gclient: httpx.AsyncClient, gctx: AppContext, clock: FrozenClock
) -> None:
    account_id = await paying_customer(gctx)
    for n in range(27):
        await web_message(gctx, account_id, NOW - timedelta(minutes=n), credits=1)
    await web_message(gctx, account_id, NOW - timedelta(days=2), credits=1)
    await login(gclient)
    first = await gclient.get("/usage", params={"source": "web", "from": "2026-11-26"})
    assert first.text.count("<tr><td>") == 25
    assert 'href="/usage?from=2026-11-26&amp;source=web&amp;page=2"' in first.text
    second = await gclient.get("/usage?from=2026-11-26&source=web&page=2")
    assert second.text.count("<tr><td>") == 2 and "Older" not in second.text
    assert totals(second.text)["Messages"] == "27"


async def test_csv_export_has_every_row_of_the_filter(
    gclient: httpx.AsyncClient, gctx: AppContext
) -> None:
    account_id = await paying_customer(gctx)
    key = await issue_key(gctx, account_id, name='=HYPERLINK("http://evil")')
    sent = await send(gclient, key, "claude-sonnet-4-5")
    await web_message(gctx, account_id, NOW - timedelta(hours=2), credits=4)
    await login(gclient)
    response = await gclient.get("/usage/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="caicaini-usage-2026-11-26.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["source"] for r in rows] == ["api", "web"]
    api_row = rows[0]
    assert api_row["request_id"] == sent.headers["caicaini-request-id"]
    assert api_row["credits_charged"] == sent.headers["caicaini-credits-charged"]
    assert api_row["receipt_id"] == sent.headers["caicaini-receipt-id"]
    assert api_row["time_utc"] == "2026-11-26T12:00:00Z"
    # A spreadsheet must not run a key name as a formula.
    assert api_row["key_name"] == '\'=HYPERLINK("http://evil")'
    assert rows[1]["credits_charged"] == "4" and rows[1]["key_id"] == ""

    only_web = await gclient.get("/usage/export.csv", params={"source": "web"})
    assert len(list(csv.DictReader(io.StringIO(only_web.text)))) == 1


async def test_the_receipt_is_written_for_a_person(
    gclient: httpx.AsyncClient, gctx: AppContext, fake: FakeScript
) -> None:
    account_id = await paying_customer(gctx, credits=10_000)
    key = await issue_key(gctx, account_id, name="laptop")
    fake.push(Behaviour(output_tokens=2_500, cache_read=9_000, cache_creation=100))
    sent = await send(gclient, key, "claude-sonnet-4-5", max_tokens=4_000)
    receipt_id = sent.headers["caicaini-receipt-id"]
    await login(gclient)
    page = await gclient.get(f"/usage/receipts/{receipt_id}")
    assert page.status_code == 200
    text = page.text
    assert "Claude Sonnet 4.5" in text and "<code>claude-sonnet-4-5</code>" in text
    assert "API key <strong>laptop</strong>" in text
    assert sent.headers["caicaini-request-id"] in text
    tokens = text.split('id="tokens"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"Cache read</th><td class=\"num\">9,000<", tokens)
    assert re.search(r"Cache write</th><td class=\"num\">100<", tokens)
    assert re.search(r"Output</th><td class=\"num\">2,500<", tokens)
    # 9,100 cached + the prompt's own tokens count as input; 2,500 output is 2 units of 2,000.
    working = text.split('id="units-working">', 1)[1].split("</pre>", 1)[0]
    assert (
        "÷ 8,000⌉" in working and "⌈2,500 ÷ 2,000⌉" in working and "= max(1, 2, 2) = 2" in working
    )
    assert "3 credits a unit (price sheet version 1)" in text
    assert '<strong id="credits-charged">6</strong>' in text and "(2 \u00d7 3)" in text
    paid = text.split('id="grants-paid"', 1)[1].split("</table>", 1)[0]
    assert "Plan credits" in paid and "01 Dec 2026" in paid  # the grant expiring first paid
    assert 'id="signature-status">valid' in text
    assert "How to verify a receipt offline" in text and "sort_keys=True" in text


async def test_verify_says_valid_or_not_and_explains_what_is_not_a_receipt(
    gclient: httpx.AsyncClient, gctx: AppContext
) -> None:
    account_id = await paying_customer(gctx)
    key = await issue_key(gctx, account_id)
    receipt_id = (await send(gclient, key)).headers["caicaini-receipt-id"]
    await login(gclient)
    page = await gclient.get(f"/usage/receipts/{receipt_id}")
    token = csrf_of(page.text)
    download = await gclient.get(f"/usage/receipts/{receipt_id}.json")
    assert download.status_code == 200
    assert f'filename="receipt-{receipt_id}.json"' in download.headers["content-disposition"]
    document = download.json()
    assert document["signature_algorithm"] == "HMAC-SHA256"
    assert document["payload"]["receipt_id"] == receipt_id

    valid = await gclient.post(
        "/usage/receipts/verify", data={"csrf_token": token, "receipt": download.text}
    )
    assert valid.status_code == 200 and "<strong>Valid.</strong>" in valid.text

    document["payload"]["credits_charged"] = 0
    altered = await gclient.post(
        "/usage/receipts/verify", data={"csrf_token": token, "receipt": json.dumps(document)}
    )
    assert altered.status_code == 200 and "<strong>Not valid.</strong>" in altered.text

    for text, message in [
        ("not json", "paste the receipt exactly as downloaded"),
        ('{"payload": 1}', 'a receipt has a "payload" object and a "signature" string'),
        ("[]", 'a receipt has a "payload" object'),
    ]:
        response = await gclient.post(
            "/usage/receipts/verify", data={"csrf_token": token, "receipt": text}
        )
        assert response.status_code == 400 and message in html.unescape(response.text)

    form = await gclient.get("/usage/receipts/verify")
    assert form.status_code == 200 and 'name="receipt"' in form.text


async def test_someone_elses_receipt_is_not_found(
    gclient: httpx.AsyncClient, gctx: AppContext
) -> None:
    bob = await paying_customer(gctx, "bob@example.com")
    bobs_receipt = (await send(gclient, await issue_key(gctx, bob))).headers["caicaini-receipt-id"]
    await paying_customer(gctx)
    await login(gclient)
    assert (await gclient.get(f"/usage/receipts/{bobs_receipt}")).status_code == 404
    assert (await gclient.get(f"/usage/receipts/{bobs_receipt}.json")).status_code == 404
    assert (await gclient.get("/usage/receipts/rcpt_nothing")).status_code == 404

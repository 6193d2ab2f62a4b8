"""The console's price pages in-process: an invalid draft is refused with the reason and
changes nothing; support reads but gets 403 on every action; customers cannot get in."""

from __future__ import annotations

import httpx

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.models.plans import PriceSheet, PriceSheetDraft
from caicaini.plans.drafts import DraftService
from tests.accounts.helpers import count
from tests.console.helpers import as_operator
from tests.web.helpers import login, make_account


async def start_draft(client: httpx.AsyncClient, token: str) -> str:
    r = await client.post("/console/pricing/drafts", data={"csrf_token": token})
    assert r.status_code == 303
    return str(r.headers["location"])


async def test_an_invalid_draft_is_refused_and_nothing_is_saved(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    url = await start_draft(client, token)
    before = (await client.get(url)).text
    r = await client.post(url, data={"csrf_token": token, "text": "plans = ["})
    assert r.status_code == 400 and "the TOML does not parse" in r.text
    assert "plans = [" in r.text  # what was typed is shown again
    assert (await client.get(url)).text == before
    schedule = await client.post(
        f"{url}/schedule", data={"csrf_token": token, "effective_at": "next week"}
    )
    assert schedule.status_code == 400 and "effective_at must be an ISO time" in schedule.text
    assert await count(ctx, PriceSheet) == 1


async def test_support_reads_prices_but_cannot_act(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx, role="support", email="support@example.com")
    async with ctx.transaction() as session:  # an admin's draft
        draft = await DraftService(session, ctx.clock, "http://t").start(actor=Actor("operator"))
    url = f"/console/pricing/drafts/{draft.id}"
    assert (await client.get("/console/pricing")).status_code == 200
    assert (await client.get(url)).status_code == 200
    for path in ("/console/pricing/drafts", url, f"{url}/schedule", f"{url}/discard"):
        r = await client.post(path, data={"csrf_token": token, "text": "x", "effective_at": ""})
        assert r.status_code == 403, path
    assert await count(ctx, PriceSheetDraft) == 1
    assert await count(ctx, PriceSheet) == 1


async def test_customers_cannot_open_the_price_pages(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx, "ada@example.com")
    token = await login(client, "ada@example.com")
    assert (await client.get("/console/pricing")).status_code == 403
    r = await client.post("/console/pricing/drafts", data={"csrf_token": token})
    assert r.status_code == 403
    assert await count(ctx, PriceSheetDraft) == 0

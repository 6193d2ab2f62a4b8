"""What the terminal client reads with its API key: balance, ledger, usage (list, today's
summary, one message by request id), receipts, keys, and the dry-run quote, which equals the
hold the message then places. A key reads but cannot manage keys, and a suspended account's
key is told why it is refused."""

from __future__ import annotations

import json

import httpx

from caicaini.accounts.closure import ClosureService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    CLAUDE,
    anthropic_headers,
    balance,
    customer,
    issue_key,
    message_body,
    usage_of,
)


async def test_a_key_reads_what_the_client_shows(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account, name="cli")
    sent = await gclient.post(
        "/v1/messages", json=message_body(CLAUDE), headers=anthropic_headers(key)
    )
    request_id = sent.headers["request-id"]
    auth = {"authorization": f"Bearer {key}"}

    assert (await gclient.get("/api/v1/balance", headers=auth)).json()["balance"] == 997
    assert (await gclient.get("/api/v1/ledger", headers=auth)).json()["items"]
    listed = (await gclient.get("/api/v1/usage", headers=auth)).json()["data"]
    assert [u["request_id"] for u in listed] == [request_id]
    one = (await gclient.get(f"/api/v1/usage/{request_id}", headers=auth)).json()
    assert one["credits_charged"] == 3 and one["receipt_id"]
    receipt = (await gclient.get(f"/api/v1/receipts/{one['receipt_id']}", headers=auth)).json()
    assert receipt["verified"] is True and receipt["request_id"] == request_id
    summary = await gclient.get(
        "/api/v1/usage/summary", params={"from": "2026-11-26T00:00:00Z"}, headers=auth
    )
    assert summary.json()["credits_charged"] == 3 and summary.json()["messages"] == 1
    assert summary.json()["models"] == [{"model": CLAUDE, "messages": 1, "credits_charged": 3}]
    keys = (await gclient.get("/api/v1/keys", headers=auth)).json()["data"]
    assert [k["name"] for k in keys] == ["cli"]

    other = await customer(gctx)
    other_key = await issue_key(gctx, other)
    hidden = await gclient.get(f"/api/v1/usage/{request_id}", headers={"x-api-key": other_key})
    assert hidden.status_code == 404


async def test_a_key_cannot_manage_keys(gctx: AppContext, gclient: httpx.AsyncClient) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    auth = {"authorization": f"Bearer {key}"}
    created = await gclient.post("/api/v1/keys", json={"name": "more"}, headers=auth)
    assert created.status_code == 401
    keys = (await gclient.get("/api/v1/keys", headers=auth)).json()["data"]
    revoke = await gclient.delete(f"/api/v1/keys/{keys[0]['id']}", headers=auth)
    assert revoke.status_code == 401
    assert (await gclient.get("/api/v1/me", headers=auth)).status_code == 401
    anonymous = await gclient.delete("/api/v1/keys/current")
    assert anonymous.status_code == 401
    bad = await gclient.get("/api/v1/balance", headers={"x-api-key": "sk-cai-nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"


async def test_the_quote_is_the_hold_the_message_places(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, credits=100)
    key = await issue_key(gctx, account)
    raw = json.dumps(message_body(CLAUDE, max_tokens=9000)).encode()
    headers = {**anthropic_headers(key), "content-type": "application/json"}
    quoted = (await gclient.post("/api/v1/quote", content=raw, headers=headers)).json()
    assert quoted["units"] == 5 and quoted["max_credits"] == 15  # ceil(9000 / 2000) x 3
    assert quoted["balance"] == 100 and quoted["affordable"] is True
    await gclient.post("/v1/messages", content=raw, headers=headers)
    [record] = await usage_of(gctx, account)
    assert record.credits_held == quoted["max_credits"]
    assert await balance(gctx, account) == 100 - record.credits_charged
    bad = await gclient.post("/api/v1/quote", json={"model": CLAUDE}, headers=headers)
    assert bad.status_code == 400


async def test_a_suspended_accounts_key_is_told_why(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    async with gctx.transaction() as session:
        await ClosureService(session, gctx.clock, gctx.settings).set_status(
            account, "suspended", "chargeback", Actor("operator")
        )
    refused = await gclient.post(
        "/v1/messages", json=message_body(CLAUDE), headers=anthropic_headers(key)
    )
    assert refused.status_code == 403
    assert "suspended" in refused.json()["error"]["message"]
    assert refused.headers["caicaini-error-code"] == "account_unavailable"

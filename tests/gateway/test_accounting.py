"""Money under pressure (many concurrent requests, a hung upstream) and the owner's views:
models with rates, usage pages and receipts."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from caicaini.accounts.deps import CurrentAccount, current_account
from caicaini.context import AppContext
from caicaini.gateway.upstreams.anthropic import AnthropicProvider
from caicaini.gateway.upstreams.openai_compat import OpenAICompatProvider
from caicaini.gateway.upstreams.registry import ProviderRegistry
from caicaini.main import create_app
from caicaini.testing.asgi_stream import StreamingASGITransport
from caicaini.testing.fake_upstream import FakeScript, FakeUpstreamServer
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    anthropic_headers,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    message_body,
    usage_of,
)


async def two_hundred_at_once(client: httpx.AsyncClient, key: str) -> Counter[int]:
    """200 one-credit messages sent at once; how many got each status."""
    body = message_body("claude-haiku-4-5", max_tokens=100)  # 1 credit each

    async def one() -> int:
        r = await client.post("/v1/messages", json=body, headers=anthropic_headers(key))
        return r.status_code

    return Counter(await asyncio.gather(*(one() for _ in range(200))))


async def test_200_concurrent_requests_never_overdraw_a_balance_for_50(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx, credits=50)
    key = await issue_key(gctx, account, rpm_override=1000, concurrency_override=1000)
    statuses = await two_hundred_at_once(gclient, key)
    assert statuses == {200: 50, 402: 150}
    assert await balance(gctx, account) == 0
    records = await usage_of(gctx, account)
    assert sum(r.credits_charged for r in records) == 50
    await assert_books_balance(gctx)


async def test_200_concurrent_requests_never_overrun_a_keys_daily_cap(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    """The cap counts what the key's requests in flight may still cost, not only what has
    settled: 200 requests at once on a cap of 50 credits spend 50, however they interleave."""
    account = await customer(gctx, credits=1_000)
    key = await issue_key(
        gctx, account, daily_credit_cap=50, rpm_override=1000, concurrency_override=1000
    )
    statuses = await two_hundred_at_once(gclient, key)
    assert statuses == {200: 50, 402: 150}
    records = await usage_of(gctx, account)
    assert sum(r.credits_charged for r in records) == 50
    assert await balance(gctx, account) == 950
    await assert_books_balance(gctx)


@pytest.fixture
async def impatient_client(
    gctx: AppContext, fake_upstream: FakeUpstreamServer
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with providers that give up on upstream after half a second."""
    gctx.extras["providers"] = ProviderRegistry(
        {
            "anthropic": [AnthropicProvider(fake_upstream.anthropic_base_url, timeout=0.5)],
            "moonshot": [OpenAICompatProvider(fake_upstream.openai_base_url, timeout=0.5)],
        }
    )
    app = create_app(ctx=gctx)
    async with LifespanManager(app) as manager:
        transport = StreamingASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
            yield c


@pytest.mark.parametrize("stream", [False, True])
async def test_a_hung_upstream_costs_nothing(
    gctx: AppContext, impatient_client: httpx.AsyncClient, fake: FakeScript, stream: bool
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    for model in (CLAUDE, KIMI):
        fake.hang()
        r = await impatient_client.post(
            "/v1/messages", json=message_body(model, stream=stream), headers=anthropic_headers(key)
        )
        assert r.status_code == 504, r.text
        assert r.json()["error"]["type"] == "timeout_error"
    assert await balance(gctx, account) == 1000
    assert [u.credits_charged for u in await usage_of(gctx, account)] == [0, 0]


async def test_count_tokens_is_free(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    body = message_body()
    del body["max_tokens"]
    r = await gclient.post("/v1/messages/count_tokens", json=body, headers=anthropic_headers(key))
    assert r.status_code == 200, r.text
    assert r.json()["input_tokens"] > 0
    assert await balance(gctx, account) == 1000


async def test_models_lists_the_plan_in_both_shapes(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    account = await customer(gctx, plan="plus")
    key = await issue_key(gctx, account)
    r = await gclient.get("/v1/models?limit=1000", headers=anthropic_headers(key))
    assert r.status_code == 200
    anthropic = {m["id"]: m for m in r.json()["data"]}
    assert set(anthropic) == {"claude-haiku-4-5", "claude-sonnet-4-5", "kimi-k2.5", KIMI}
    assert anthropic[CLAUDE]["type"] == "model"
    assert anthropic[CLAUDE]["credits_per_message"] == 3
    r = await gclient.get("/v1/models", headers={"authorization": f"Bearer {key}"})
    body = r.json()
    assert body["object"] == "list"
    assert {m["id"]: m["credits_per_message"] for m in body["data"]}[KIMI] == 2
    r = await gclient.get("/v1/models")
    assert r.status_code == 401 and "error" in r.json()
    assert (await gclient.head("/api/hello")).status_code == 200


async def test_usage_and_receipts_for_their_owner_only(
    gctx: AppContext, gapp: FastAPI, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    other = await customer(gctx)
    key = await issue_key(gctx, account)
    for model in (CLAUDE, KIMI, CLAUDE):
        r = await gclient.post(
            "/v1/messages", json=message_body(model), headers=anthropic_headers(key)
        )
        assert r.status_code == 200
    receipt_id = r.headers["caicaini-receipt-id"]

    app = gapp
    who = {"id": account}

    async def as_owner() -> CurrentAccount:
        return CurrentAccount(who["id"], "x@example.com", "active", False, True, "US",
                              gctx.clock.now().date(), "s", "c")  # fmt: skip

    app.dependency_overrides[current_account] = as_owner
    try:
        r = await gclient.get("/api/v1/usage", params={"model": CLAUDE, "limit": 1})
        page = r.json()
        assert r.status_code == 200 and page["has_more"] is True
        [item] = page["data"]
        assert item["model"] == CLAUDE and item["credits_charged"] == 3
        assert "content" not in str(item) and "Echo" not in str(item)
        r = await gclient.get("/api/v1/usage", params={"model": KIMI})
        assert [i["credits_charged"] for i in r.json()["data"]] == [2]
        r = await gclient.get(f"/api/v1/receipts/{receipt_id}")
        receipt = r.json()
        assert receipt["verified"] is True and receipt["credits_charged"] == 3
        assert receipt["usage"]["cache_read_input_tokens"] == 0
        assert receipt["grants_debited"][0]["credits"] == 3
        who["id"] = other
        assert (await gclient.get(f"/api/v1/receipts/{receipt_id}")).status_code == 404
        assert (await gclient.get("/api/v1/usage")).json()["data"] == []
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
async def two_route_client(
    gctx: AppContext, fake_upstream: FakeUpstreamServer
) -> AsyncIterator[httpx.AsyncClient]:
    """Claude models with two routes (both the fake): the second serves when the first fails."""
    routes = [AnthropicProvider(fake_upstream.anthropic_base_url) for _ in range(2)]
    gctx.extras["providers"] = ProviderRegistry({"anthropic": list(routes)})
    app = create_app(ctx=gctx)
    async with LifespanManager(app) as manager:
        transport = StreamingASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
            yield c


@pytest.mark.parametrize("stream", [False, True])
async def test_next_route_is_tried_before_any_byte_reached_the_client(
    gctx: AppContext, two_route_client: httpx.AsyncClient, fake: FakeScript, stream: bool
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    fake.fail(529, "first route overloaded")
    r = await two_route_client.post(
        "/v1/messages", json=message_body(CLAUDE, stream=stream), headers=anthropic_headers(key)
    )
    assert r.status_code == 200, r.text
    assert "Echo" in r.text
    assert len(fake.requests) == 2
    fake.fail(400, "prompt is too long")  # not retryable: relayed as is
    r = await two_route_client.post(
        "/v1/messages", json=message_body(CLAUDE, stream=stream), headers=anthropic_headers(key)
    )
    assert r.status_code == 400 and "prompt is too long" in r.text
    assert len(fake.requests) == 3

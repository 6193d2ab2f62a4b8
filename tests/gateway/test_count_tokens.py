"""``/v1/messages/count_tokens`` is free but neither open nor unlimited: the key is checked
before the body is read, and counts are admitted against the plan's (or the key's) limits
in buckets of their own, so counting never uses up the messages a customer paid for."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import anthropic_headers, balance, customer, issue_key, message_body

COUNT = "/v1/messages/count_tokens"


class Body:
    """A large chunked body that counts how much of it the server pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(64):
            self.pulled += 1
            yield b"{" * 65536


@pytest.fixture
async def pulling_client(gapp: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """httpx's own ASGI transport: it hands the body over chunk by chunk as the app reads."""
    async with LifespanManager(gapp) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_the_key_is_checked_before_the_body_is_read(
    gctx: AppContext, pulling_client: httpx.AsyncClient, fake: FakeScript
) -> None:
    for headers in ({"anthropic-version": "2023-06-01"}, anthropic_headers("sk-cai-nonsense")):
        body = Body()
        r = await pulling_client.post(COUNT, content=body, headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["type"] == "authentication_error"
        assert body.pulled == 0  # not a byte of it was read


async def test_counts_are_rate_limited_apart_from_messages(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account, rpm_override=3)
    count_body = message_body()
    del count_body["max_tokens"]
    answers = [
        await gclient.post(COUNT, json=count_body, headers=anthropic_headers(key)) for _ in range(4)
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert int(refused.headers["retry-after"]) >= 1
    assert answers[0].headers["anthropic-ratelimit-requests-remaining"] == "2"
    # The messages' own minute is untouched by the counts.
    r = await gclient.post("/v1/messages", json=message_body(), headers=anthropic_headers(key))
    assert r.status_code == 200, r.text
    assert r.headers["anthropic-ratelimit-requests-remaining"] == "2"
    assert await balance(gctx, account) < 1000  # the message was charged, the counts not

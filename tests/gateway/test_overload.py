"""Running out of capacity is a 503 with ``retry-after`` in the endpoint's format, never a
500: a PostgreSQL pool that stays empty past its bounded wait, a server refusing more
clients, a Redis pool with no free connection. Traffic with no key or a made-up one is
answered before it takes a pooled connection of either kind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from caicaini.api_keys import keyformat
from caicaini.context import AppContext
from caicaini.gateway.ratelimit import RedisRateLimiter
from caicaini.gateway.state import gateway_state
from caicaini.kit.clock import FrozenClock
from caicaini.main import create_app
from caicaini.plans.hooks import install_default_catalogue
from caicaini.testing.fake_upstream import FakeUpstreamServer
from tests.conftest import _empty_tables
from tests.gateway.support import (
    IN_CI,
    anthropic_headers,
    balance,
    customer,
    gateway_settings,
    issue_key,
    message_body,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
WAIT = 0.3  # the pools' bounded wait, in seconds
CHAT = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url  # SQLite has no connection pool to run out of


def tight_context(
    url: str, tmp_path: Path, fake: FakeUpstreamServer, clock: FrozenClock
) -> AppContext:
    settings = gateway_settings(
        url,
        tmp_path,
        fake,
        database_pool_size=1,
        database_pool_timeout_seconds=WAIT,
        redis_url=REDIS_URL,
        redis_pool_size=1,
        redis_pool_timeout_seconds=WAIT,
    )
    return AppContext.from_settings(settings, clock=clock)


@pytest.fixture
async def tctx(
    db_url: str, tmp_path: Path, fake_upstream: FakeUpstreamServer, clock: FrozenClock
) -> AsyncIterator[AppContext]:
    """A context whose pools hold one connection each, waited for at most ``WAIT``."""
    context = tight_context(db_url, tmp_path, fake_upstream, clock)
    limiter = gateway_state(context).limiter
    assert isinstance(limiter, RedisRateLimiter)
    try:
        await limiter.redis.ping()
    except OSError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required with CI=true: {exc}")
        pytest.skip(f"Redis unavailable: {exc}")
    await _empty_tables(context.db)
    await install_default_catalogue(context)
    try:
        yield context
    finally:
        await context.close()


@pytest.fixture
async def tclient(tctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(create_app(ctx=tctx)) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def assert_overloaded(r: httpx.Response, shape: str) -> None:
    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) >= 1
    error = r.json()["error"]
    if shape == "anthropic":
        assert r.json()["type"] == "error"
        assert error["type"] == "overloaded_error"
    elif shape == "openai":
        assert (error["type"], error["code"]) == ("api_error", "overloaded")
    else:
        assert error["code"] == "overloaded"


REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("/v1/messages", "anthropic", message_body()),
    ("/v1/chat/completions", "openai", CHAT),
    ("/api/v1/usage", "json", None),
]


async def send(http: httpx.AsyncClient, path: str, key: str, body: Any) -> httpx.Response:
    headers = {**anthropic_headers(key), "authorization": f"Bearer {key}"}
    if body is None:
        return await http.get(path, headers=headers)
    return await http.post(path, json=body, headers=headers)


async def test_an_empty_database_pool_is_a_503_after_a_bounded_wait(
    tctx: AppContext, tclient: httpx.AsyncClient, fake_upstream: FakeUpstreamServer
) -> None:
    account = await customer(tctx)
    key = await issue_key(tctx, account)
    async with tctx.db.engine.connect():  # the pool's only connection, held
        for path, shape, body in REQUESTS:
            gateway_state(tctx).keys.clear()  # the key must be read from the database
            assert_overloaded(await send(tclient, path, key, body), shape)
    # The connection is back: the same request is served, and nothing was charged before.
    assert await balance(tctx, account) == 1000
    r = await send(tclient, "/v1/messages", key, message_body())
    assert r.status_code == 200, r.text


async def test_an_empty_redis_pool_is_a_503_not_a_500(
    tctx: AppContext, tclient: httpx.AsyncClient, fake_upstream: FakeUpstreamServer
) -> None:
    account = await customer(tctx)
    key = await issue_key(tctx, account)
    limiter = gateway_state(tctx).limiter
    assert isinstance(limiter, RedisRateLimiter)
    held = await limiter.redis.connection_pool.get_connection()
    try:
        for path, shape, body in REQUESTS[:2]:
            assert_overloaded(await send(tclient, path, key, body), shape)
    finally:
        await limiter.redis.connection_pool.release(held)
    assert await balance(tctx, account) == 1000
    assert (await send(tclient, "/v1/messages", key, message_body())).status_code == 200


async def test_keyless_and_made_up_keys_are_refused_without_a_pooled_connection(
    tctx: AppContext, tclient: httpx.AsyncClient, fake_upstream: FakeUpstreamServer
) -> None:
    limiter = gateway_state(tctx).limiter
    assert isinstance(limiter, RedisRateLimiter)
    held = await limiter.redis.connection_pool.get_connection()
    try:
        async with tctx.db.engine.connect():  # both pools empty: none of these may wait
            for key in ("", "garbage", "sk-cai-" + "x" * 40, keyformat.generate()[:-1] + "!"):
                for path, _shape, body in REQUESTS[:2]:
                    r = await send(tclient, path, key, body)
                    assert r.status_code == 401, r.text
    finally:
        await limiter.redis.connection_pool.release(held)


async def refuse_every_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A PostgreSQL server at its limit: declines TLS, reads the start-up message, answers
    what PostgreSQL answers past max_connections, and hangs up."""
    length = int.from_bytes(await reader.readexactly(4), "big")
    packet = await reader.readexactly(length - 4)
    if packet[:4] == (80877103).to_bytes(4, "big"):  # SSLRequest
        writer.write(b"N")
        length = int.from_bytes(await reader.readexactly(4), "big")
        await reader.readexactly(length - 4)
    fields = b"SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0\0"
    writer.write(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
    await writer.drain()
    writer.close()


async def test_a_database_refusing_clients_is_a_503(
    tmp_path: Path, fake_upstream: FakeUpstreamServer
) -> None:
    server = await asyncio.start_server(refuse_every_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/caicaini"
    context = AppContext.from_settings(gateway_settings(url, tmp_path, fake_upstream))
    try:
        async with LifespanManager(create_app(ctx=context)) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                key = keyformat.generate()  # well formed: it must be looked up
                for path, shape, body in REQUESTS[:2]:
                    assert_overloaded(await send(http, path, key, body), shape)
    finally:
        await context.close()
        server.close()
        await server.wait_closed()

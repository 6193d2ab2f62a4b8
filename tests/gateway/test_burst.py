"""The production shape under a burst: ``caicaini serve --workers 2`` in its own process, on
PostgreSQL and Redis, 200 paying messages at once with 100 keyless or made-up-key requests
mixed in. No 5xx, every paying message served and charged exactly its published price, the
books balanced, and the server never holding more PostgreSQL connections than its pools
allow (2 workers x ``CAICAINI_DATABASE_POOL_SIZE``): the burst holds on a server with
``max_connections = 100`` whatever else runs there."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine.url import make_url

from caicaini.context import AppContext
from caicaini.gateway.ratelimit import RedisRateLimiter
from caicaini.plans.hooks import install_default_catalogue
from caicaini.testing.burst import burst
from caicaini.testing.fake_upstream import FakeUpstreamServer
from caicaini.testing.server_process import ServerProcess
from tests.conftest import PG_ADMIN_URL, TEST_SECRET, _empty_tables
from tests.gateway.support import (
    CLAUDE,
    IN_CI,
    assert_books_balance,
    balance,
    customer,
    gateway_settings,
    issue_key,
    usage_of,
)

REDIS_URL = os.environ.get("CAICAINI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKERS = 2
POOL = 10  # connections a worker: 2 x 10 = 20, well inside max_connections = 100
ACCOUNTS = 10
PAID = 200
KEYLESS = 100
PRICE = 3  # claude-sonnet-4-5 on plus, one unit


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url


async def require_redis() -> None:
    probe = RedisRateLimiter(REDIS_URL)
    try:
        await probe.redis.ping()
    except OSError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required with CI=true: {exc}")
        pytest.skip(f"Redis unavailable: {exc}")
    finally:
        await probe.aclose()


async def connections(database: str, conn: asyncpg.Connection | None = None) -> int:
    """Backends connected to ``database`` now (the probe's own excluded)."""
    probe = conn or await asyncpg.connect(PG_ADMIN_URL)
    try:
        count = await probe.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        if conn is None:
            await probe.close()
    return int(count)


async def peak_connections(database: str, stop: asyncio.Event) -> int:
    """The most backends connected to ``database`` at once while ``stop`` is not set."""
    conn = await asyncpg.connect(PG_ADMIN_URL)
    peak = 0
    try:
        while not stop.is_set():
            peak = max(peak, await connections(database, conn))
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    return peak


async def test_a_burst_of_200_on_two_workers_has_no_5xx_and_exact_books(
    postgres_url: str, tmp_path: Path, fake_upstream: FakeUpstreamServer
) -> None:
    await require_redis()
    settings = gateway_settings(postgres_url, tmp_path, fake_upstream, redis_url=REDIS_URL)
    ctx = AppContext.from_settings(settings)
    try:
        await _empty_tables(ctx.db)
        await install_default_catalogue(ctx)
        accounts = [await customer(ctx) for _ in range(ACCOUNTS)]
        # Operator overrides: the burst is about capacity, not the plan's own limits.
        keys = [
            await issue_key(ctx, account, rpm_override=1000, concurrency_override=100)
            for account in accounts
        ]
        await ctx.db.engine.dispose()  # the test holds no connection during the burst
        env = {
            "CAICAINI_ENV": "test",
            "CAICAINI_DATABASE_URL": postgres_url,
            "CAICAINI_REDIS_URL": REDIS_URL,
            "CAICAINI_DATA_DIR": str(tmp_path),
            "CAICAINI_SECRET_KEY": TEST_SECRET,
            "CAICAINI_ANTHROPIC_BASE_URL": fake_upstream.anthropic_base_url,
            "CAICAINI_MOONSHOT_BASE_URL": fake_upstream.openai_base_url,
            "CAICAINI_RUN_JOBS_IN_PROCESS": "false",
            "CAICAINI_LOG_LEVEL": "WARNING",
            "CAICAINI_DATABASE_POOL_SIZE": str(POOL),
        }
        database = str(make_url(postgres_url).database)
        # Other servers of this test session on the same database (idle now) are not counted.
        others = await connections(database)
        with ServerProcess(env, tmp_path / "server.log", workers=WORKERS) as server:
            stop = asyncio.Event()
            sampler = asyncio.create_task(peak_connections(database, stop))
            result = await burst(server.url, keys, paid=PAID, keyless=KEYLESS)
            stop.set()
            peak = await sampler
            log = server.log_text()
        assert result.server_errors == 0, (result.errors[:5], log[-3000:])
        assert result.paid == {200: PAID}, result.errors[:5]
        assert result.keyless == {401: KEYLESS}
        assert 0 < peak - others <= WORKERS * POOL
        for account, key in zip(accounts, keys, strict=True):
            records = await usage_of(ctx, account)
            assert [r.credits_charged for r in records] == [PRICE] * (PAID // ACCOUNTS)
            assert {r.model for r in records} == {CLAUDE}
            assert result.charged[key] == PRICE * PAID // ACCOUNTS
            assert await balance(ctx, account) == 1000 - PRICE * PAID // ACCOUNTS
        await assert_books_balance(ctx)
    finally:
        await ctx.close()

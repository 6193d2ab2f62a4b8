"""Rate limiter backends: the in-memory default and Redis (shared by processes)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable

import pytest

from caicaini.gateway.ratelimit import Limits, MemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = os.environ.get("CAICAINI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(params=["memory", "redis"])
async def make_limiter(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], RateLimiter]]:
    """A factory: each call is another 'process' sharing the same backend."""
    made: list[RateLimiter] = []
    if request.param == "memory":
        shared = MemoryRateLimiter()
        yield lambda: shared
        return
    prefix = f"caicaini-test:{secrets.token_hex(6)}:"
    probe = RedisRateLimiter(REDIS_URL, prefix=prefix)
    try:
        await probe.redis.ping()
    except Exception as exc:
        await probe.aclose()
        if IN_CI:
            pytest.fail(f"Redis is required with CI=true and unreachable: {exc}")
        pytest.skip(f"Redis unavailable: {exc}")
    made.append(probe)

    def factory() -> RateLimiter:
        limiter = RedisRateLimiter(REDIS_URL, prefix=prefix)
        made.append(limiter)
        return limiter

    yield factory
    keys = [k async for k in probe.redis.scan_iter(match=prefix + "*")]
    if keys:
        await probe.redis.delete(*keys)
    for limiter in made:
        await limiter.aclose()


def limits(**kw: int) -> Limits:
    tag = secrets.token_hex(4)
    return Limits(
        rpm=kw.get("rpm", 100),
        rpm_bucket=f"a:{tag}",
        per_day=kw.get("per_day", 1000),
        day_bucket=f"a:{tag}",
        concurrency=kw.get("concurrency", 100),
        concurrency_bucket=f"a:{tag}",
    )


async def test_requests_per_minute_across_processes(
    make_limiter: Callable[[], RateLimiter],
) -> None:
    one, two = make_limiter(), make_limiter()
    rule = limits(rpm=3)
    results = [await limiter.admit(rule) for limiter in (one, two, one, two)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[2].remaining == 0
    refused = results[3]
    assert refused.refused_by == "rpm" and 1 <= refused.retry_after <= 60
    for r in results[:3]:
        await one.finish(rule.concurrency_bucket, r.slot or "")


async def test_concurrency_slots_are_given_back(make_limiter: Callable[[], RateLimiter]) -> None:
    one, two = make_limiter(), make_limiter()
    rule = limits(concurrency=2)
    first, second = await one.admit(rule), await two.admit(rule)
    third = await one.admit(rule)
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert third.refused_by == "concurrency"
    await two.finish(rule.concurrency_bucket, second.slot or "")
    assert (await one.admit(rule)).allowed


async def test_messages_per_day(make_limiter: Callable[[], RateLimiter]) -> None:
    limiter = make_limiter()
    rule = limits(per_day=2)
    outcomes = []
    for _ in range(3):
        admission = await limiter.admit(rule)
        outcomes.append(admission.refused_by)
        if admission.slot:
            await limiter.finish(rule.concurrency_bucket, admission.slot)
    assert outcomes == [None, None, "per_day"]


async def test_failures_are_counted_per_window(make_limiter: Callable[[], RateLimiter]) -> None:
    one, two = make_limiter(), make_limiter()
    bucket = "ip:" + secrets.token_hex(4)
    assert await one.failures(bucket, 60) == 0
    await one.note_failure(bucket, 60)
    await two.note_failure(bucket, 60)
    assert await one.failures(bucket, 60) == 2

"""Lookups on the gateway's hot path never hold up its writes: they read without the write
lock, and concurrent refills of one cached thing share one query."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from caicaini.db import Database
from caicaini.gateway.state import SingleFlight


async def test_concurrent_loads_of_one_thing_share_one_load() -> None:
    flights = SingleFlight()
    calls = 0

    async def load() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return "record"

    results = await asyncio.gather(*(flights.load("k", load) for _ in range(32)))
    assert results == ["record"] * 32
    assert calls == 1
    assert await flights.load("k", load) == "record"  # done: the next miss loads again
    assert calls == 2


async def test_a_caller_going_away_does_not_cancel_the_others_load() -> None:
    flights = SingleFlight()
    release = asyncio.Event()

    async def load() -> int:
        await release.wait()
        return 7

    first = asyncio.ensure_future(flights.load("k", load))
    second = asyncio.ensure_future(flights.load("k", load))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == 7


async def test_a_failed_load_fails_every_waiter_and_is_not_kept() -> None:
    flights = SingleFlight()

    async def broken() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("database down")

    outcomes = await asyncio.gather(
        flights.load("k", broken), flights.load("k", broken), return_exceptions=True
    )
    assert [type(o) for o in outcomes] == [RuntimeError, RuntimeError]

    async def fine() -> str:
        return "back"

    assert await flights.load("k", fine) == "back"


async def test_a_read_transaction_leaves_the_write_lock_free(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        async with db.read() as session:
            await session.execute(text("SELECT count(*) FROM t"))
            other.execute("BEGIN IMMEDIATE")  # a writer gets the lock meanwhile
            other.execute("INSERT INTO t VALUES (1)")
            other.execute("COMMIT")
        async with db.transaction() as session:
            await session.execute(text("SELECT count(*) FROM t"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # a writing transaction holds it
    finally:
        other.close()
        await db.dispose()

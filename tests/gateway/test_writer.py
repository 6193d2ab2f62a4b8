"""The SQLite writer: one transaction per batch of queued work, each piece in a savepoint, so
one failing piece rolls back alone and the rest commit; ``run`` returns after the commit.
When idle it runs the transaction on the event loop, but never waits for the lock there."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from caicaini.gateway.writer import CHECKPOINT_EVERY, SqliteWriter, WriterBusy, build_writer

T = TypeVar("T")


async def test_group_commit_isolates_a_failing_piece(tmp_path: Path) -> None:
    writer = build_writer(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    assert writer is not None
    await writer.run(lambda c: c.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)")))

    def insert(n: int) -> object:
        def work(conn: Connection) -> int:
            conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
            if n == 7:
                raise ValueError("piece 7 fails after writing")
            return n

        return work

    # Another connection holds the write lock, so the work queues up on the writer thread
    # (instead of running one by one on the loop) and commits as one batch once it is freed.
    other = _lock_database(tmp_path / "w.db")
    asyncio.get_running_loop().call_later(0.2, other.execute, "COMMIT")
    results = await asyncio.gather(
        *(writer.run(insert(n)) for n in range(20)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    other.close()
    assert isinstance(results[7], ValueError)
    assert [r for r in results if not isinstance(r, Exception)] == [n for n in range(20) if n != 7]
    await writer.flush()
    rows = await writer.run(lambda c: [r[0] for r in c.execute(text("SELECT n FROM t"))])
    assert sorted(rows) == [n for n in range(20) if n != 7]
    await writer.aclose()


def test_no_writer_for_postgres_or_memory() -> None:
    assert build_writer("postgresql+asyncpg://u@h/db") is None
    assert build_writer("sqlite+aiosqlite:///:memory:") is None


async def test_a_failing_lone_piece_rolls_back(tmp_path: Path) -> None:
    n = 1
    writer = build_writer(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    assert writer is not None
    await writer.run(lambda c: c.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)")))

    def fails(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
        raise ValueError("no")

    with pytest.raises(ValueError):
        await writer.run(fails)
    assert await writer.run(lambda c: c.execute(text("SELECT count(*) FROM t")).scalar()) == 0
    await writer.aclose()


def _lock_database(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def _on_the_loop(writer: SqliteWriter, work: Callable[[Connection], T]) -> T:
    """``work`` run right on the event loop, once the writer thread has let go."""
    for _ in range(100):
        try:
            return writer.run_now(work)
        except WriterBusy:
            await asyncio.sleep(0.01)
    raise AssertionError("the writer stayed busy")


async def test_idle_writer_never_blocks_the_loop_on_a_held_lock(tmp_path: Path) -> None:
    writer = build_writer(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    assert writer is not None
    await writer.run(lambda c: c.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)")))
    other = _lock_database(tmp_path / "w.db")
    other.execute("INSERT INTO t (n) VALUES (1)")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(0.2, other.execute, "COMMIT")
    await writer.run(lambda c: c.execute(text("INSERT INTO t (n) VALUES (2)")))
    ticking.cancel()
    other.close()
    assert ticks > 1  # the loop kept running while the writer thread waited for the lock
    rows = await writer.run(lambda c: [r[0] for r in c.execute(text("SELECT n FROM t"))])
    assert sorted(rows) == [1, 2]
    timeout = await _on_the_loop(writer, lambda c: c.execute(text("PRAGMA busy_timeout")).scalar())
    assert timeout == 0  # inside a transaction on the loop
    other = _lock_database(tmp_path / "w.db")  # the thread's transactions wait for the lock
    asyncio.get_running_loop().call_later(0.1, other.execute, "COMMIT")
    timeout = await writer.run(lambda c: c.execute(text("PRAGMA busy_timeout")).scalar())
    other.close()
    assert timeout == 30000
    await writer.aclose()


async def test_checkpoints_run_on_the_writer_thread_and_keep_the_wal_bounded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.db"
    writer = build_writer(f"sqlite+aiosqlite:///{path}")
    assert writer is not None
    await writer.run(lambda c: c.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT)")))
    # The writer's own commits never checkpoint (that would stall the event loop).
    assert await writer.run(lambda c: c.execute(text("PRAGMA wal_autocheckpoint")).scalar()) == 0

    def insert(n: int) -> Callable[[Connection], object]:
        return lambda c: c.execute(text("INSERT INTO t VALUES (:n, :s)"), {"n": n, "s": "x" * 3000})

    sizes = []
    for n in range(6 * CHECKPOINT_EVERY):
        await _on_the_loop(writer, insert(n))  # as the gateway does when idle
        sizes.append((tmp_path / "w.db-wal").stat().st_size)
    await writer.flush()
    # Each checkpoint copied the whole WAL back and the next commit started it over: the
    # file never grew past what one checkpoint period writes.
    assert max(sizes) < 1.1 * sizes[CHECKPOINT_EVERY - 1]
    rows = await writer.run(lambda c: c.execute(text("SELECT count(*) FROM t")).scalar())
    assert rows == 6 * CHECKPOINT_EVERY
    await writer.aclose()

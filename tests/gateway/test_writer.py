"""The SQLite writer: one transaction per batch of queued work, each piece in a savepoint, so
one failing piece rolls back alone and the rest commit; ``run`` returns after the commit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from caicaini.gateway.writer import build_writer


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

    results = await asyncio.gather(
        *(writer.run(insert(n)) for n in range(20)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
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

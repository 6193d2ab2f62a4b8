"""The gateway's SQLite writer: one thread with one synchronous connection to the database
file, running a whole metering transaction (a hold; a settlement with its usage record and
receipt) per hop.

Why: through aiosqlite every statement is a round trip to the driver's thread and back to
the event loop; a settlement is ten of them. Here the event loop hands over one function and
gets one answer. The transaction is the same ``BEGIN IMMEDIATE`` one the rest of the
application uses on SQLite (writers serialised by the database), so the writer and the
application's pooled connections exclude each other the usual way. Nothing is buffered: a
call returns once its transaction has committed (or raises after it rolled back), so a
settlement is durable before the response is sent, and closing the writer waits for the
transaction in progress. PostgreSQL does not use it (asyncpg has no thread hop, and the
database runs many writers at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url

T = TypeVar("T")


class SqliteWriter:
    def __init__(self, url: str) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self.engine = create_engine(
            sync_url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=1,
            max_overflow=0,
        )
        _configure(self.engine)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction on the writer thread; commit, or roll back on error."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as conn:
            return work(conn)

    async def aclose(self) -> None:
        """Wait for the transaction in progress (and any queued), then close the connection."""
        await asyncio.to_thread(self._executor.shutdown, True)
        self.engine.dispose()


def build_writer(url: str) -> SqliteWriter | None:
    """A writer for a SQLite database file; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return SqliteWriter(url)


def _configure(engine: Engine) -> None:
    """The same connection settings as ``caicaini.db`` gives SQLite."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

"""Engines and sessions. The request or job boundary owns the transaction: services flush
when they need ids and never commit.

SQLite runs in WAL mode and every transaction starts with ``BEGIN IMMEDIATE``: writers are
serialised by the database, which is what keeps the ledger exact on the embedded default.
PostgreSQL uses READ COMMITTED with explicit row locks where the ledger needs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

T = TypeVar("T")
READ_ONLY = "caicaini_read_only"  # execution option: a transaction that only reads


def make_engine(url: str, **kw: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kw)
        _configure_sqlite(engine)
        return engine
    # Sized from settings by ``caicaini.capacity`` (the sizing rule is there).
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 0)
    # No pre-ping: it costs a round trip on every checkout, i.e. two per gateway message.
    # Connections are recycled after five minutes instead, and a connection found dead in
    # use (the server restarted) invalidates the pool, so only transactions already running
    # on the old connections fail; holds they leave behind are resolved by the sweeper.
    kw.setdefault("pool_pre_ping", False)
    kw.setdefault("pool_recycle", 300)
    return create_async_engine(url, **kw)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front (no deadlock on upgrade); readers never take
        # it, so a cache refill cannot hold up the gateway's writer.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, **engine_kw: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kw)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits if the block succeeds, rolls back if it raises."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads: on SQLite a plain ``BEGIN`` (a snapshot, no write
        lock); writing in it is a mistake SQLite may refuse."""
        async with self.read_sessions() as session, session.begin():
            yield session

    async def run(self, work: Callable[[Connection], T]) -> T:
        """``work`` on one connection's synchronous view, in one transaction, without an ORM
        session (the gateway's metering: Core statements only)."""
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()

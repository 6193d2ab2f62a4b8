"""Fixtures shared by the whole suite.

Database-touching tests run on SQLite and on PostgreSQL (the ``db_url`` fixture is
parametrised). Each test session gets its own PostgreSQL database, migrated with Alembic
and dropped at the end; each test starts from empty tables. With ``CI=true`` PostgreSQL is
mandatory: a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from caicaini.cli import alembic_config
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.db import Database
from caicaini.kit.clock import FrozenClock
from caicaini.main import create_app
from caicaini.models.base import Base

PG_ADMIN_URL = os.environ.get(
    "CAICAINI_TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-0123456789abcdef0123456789"


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET,
        "run_jobs_in_process": False,
        "public_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _migrate(url: str, data_dir: Path) -> None:
    from alembic import command

    command.upgrade(alembic_config(make_settings(url, data_dir)), "head")


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    url = f"sqlite+aiosqlite:///{path}"
    _migrate(url, path.parent)
    return url


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = f"caicaini_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required with CI=true and unreachable: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    _migrate(url, tmp_path_factory.mktemp("pg"))
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The database under test; every test using it runs once per backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


async def _empty_tables(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.transaction() as session:
        if db.is_sqlite:
            for table in tables:
                await session.execute(text(f'DELETE FROM "{table}"'))
        else:
            names = ", ".join(f'"{t}"' for t in tables)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def clock() -> FrozenClock:
    """26 November 2026, 12:00 UTC: the day of the worked examples."""
    return FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
async def ctx(settings: Settings, clock: FrozenClock) -> AsyncIterator[AppContext]:
    context = AppContext.from_settings(settings, clock=clock)
    await _empty_tables(context.db)
    try:
        yield context
    finally:
        await context.close()


@pytest.fixture
async def client(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (the lifespan runs)."""
    app = create_app(ctx=ctx)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1 (free port) in a background thread."""

    def __init__(self, app: object) -> None:
        import threading

        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live_server(settings: Settings, ctx: AppContext) -> Iterator[str]:
    """Base URL of ``create_app(settings)`` running under uvicorn in a thread (tables empty;
    the server has its own context and the system clock)."""
    with LiveServer(create_app(settings)) as base_url:
        yield base_url


# Cheap argon2 for the suite (Settings reads it from the environment; production refuses it).
os.environ.setdefault("CAICAINI_PASSWORD_HASH_PROFILE", "fast")

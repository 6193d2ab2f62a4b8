"""Gateway fixtures: one fake upstream for the session (serving both providers' formats), a
context wired to it with the default catalogue, and an in-process streaming client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.main import create_app
from caicaini.plans.hooks import install_default_catalogue
from caicaini.testing.asgi_stream import StreamingASGITransport
from caicaini.testing.fake_upstream import FakeScript, FakeUpstreamServer
from caicaini.testing.live_server import LiveServer
from tests.conftest import _empty_tables
from tests.gateway.support import gateway_settings


@pytest.fixture(scope="session")
def fake_upstream() -> Iterator[FakeUpstreamServer]:
    with FakeUpstreamServer() as fake:
        yield fake


@pytest.fixture
def fake(fake_upstream: FakeUpstreamServer) -> Iterator[FakeScript]:
    """The fake's script, emptied before and after the test."""
    fake_upstream.script.clear()
    yield fake_upstream.script
    fake_upstream.script.clear()


@pytest.fixture
async def gctx(
    db_url: str, tmp_path: Path, clock: FrozenClock, fake_upstream: FakeUpstreamServer
) -> AsyncIterator[AppContext]:
    """A context on empty tables plus the default catalogue, routed to the fake upstream."""
    context = AppContext.from_settings(
        gateway_settings(db_url, tmp_path, fake_upstream), clock=clock
    )
    await _empty_tables(context.db)
    await install_default_catalogue(context)
    try:
        yield context
    finally:
        await context.close()


@pytest.fixture
def gapp(gctx: AppContext) -> FastAPI:
    return create_app(ctx=gctx)


@pytest.fixture
async def gclient(gapp: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process, responses streamed as they are produced (disconnects reach it)."""
    async with LifespanManager(gapp) as manager:
        transport = StreamingASGITransport(manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=30
        ) as http:
            yield http


# -- a real server, for the official SDKs ----------------------------------------------------
def _live_server(
    db_url: str, data_dir: Path, fake: FakeUpstreamServer
) -> Iterator[tuple[LiveServer, Settings]]:
    settings = gateway_settings(db_url, data_dir, fake)
    with LiveServer(create_app(settings), lifespan="on") as server:
        yield server, settings


@pytest.fixture(scope="session")
def live_sqlite(
    sqlite_url: str, tmp_path_factory: pytest.TempPathFactory, fake_upstream: FakeUpstreamServer
) -> Iterator[tuple[LiveServer, Settings]]:
    yield from _live_server(sqlite_url, tmp_path_factory.mktemp("live"), fake_upstream)


@pytest.fixture(scope="session")
def live_postgres(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory, fake_upstream: FakeUpstreamServer
) -> Iterator[tuple[LiveServer, Settings]]:
    yield from _live_server(postgres_url, tmp_path_factory.mktemp("live"), fake_upstream)


@pytest.fixture
def live(db_url: str, request: pytest.FixtureRequest) -> LiveServer:
    """The gateway under uvicorn on 127.0.0.1 (one per database backend and session)."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgres"
    server, _settings = request.getfixturevalue(f"live_{backend}")
    assert isinstance(server, LiveServer)
    return server


@pytest.fixture
async def lctx(
    db_url: str, request: pytest.FixtureRequest, fake: FakeScript
) -> AsyncIterator[AppContext]:
    """A context on the live server's database and on real time, as the server sees it."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgres"
    _server, settings = request.getfixturevalue(f"live_{backend}")
    context = AppContext.from_settings(settings)
    await install_default_catalogue(context)
    try:
        yield context
    finally:
        await context.close()

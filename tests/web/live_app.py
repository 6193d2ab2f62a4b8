"""The whole app under uvicorn as a customer meets it: its public URL is the address it
serves (links in pages and e-mails work), the gateway routed to the fake upstream (a real HTTP
server), the embedded fake NOWPayments, the default catalogue, real time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from caicaini.context import AppContext
from caicaini.main import create_app
from caicaini.plans.hooks import install_default_catalogue
from caicaini.testing.fake_upstream import FakeUpstreamServer
from caicaini.testing.live_server import LiveServer
from tests.conftest import _empty_tables
from tests.gateway.support import gateway_settings
from tests.payments.support import free_port


@dataclass
class App:
    url: str
    ctx: AppContext  # on the server's database, for what a test reads directly


@pytest.fixture
async def app(db_url: str, tmp_path: Path, fake_upstream: FakeUpstreamServer) -> AsyncIterator[App]:
    port = free_port()
    settings = gateway_settings(
        db_url, tmp_path, fake_upstream, public_url=f"http://127.0.0.1:{port}"
    )
    ctx = AppContext.from_settings(settings)
    await _empty_tables(ctx.db)
    await install_default_catalogue(ctx)
    try:
        with LiveServer(create_app(settings), port=port, lifespan="on") as server:
            yield App(server.url, ctx)
    finally:
        await ctx.close()

"""Fixtures for payment tests: the fake NOWPayments as a real server, and our app live."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.db import Database
from caicaini.kit.clock import FrozenClock
from caicaini.main import create_app
from caicaini.testing.fake_nowpayments import DEV_EMAIL, DEV_PASSWORD, FakeNowPaymentsServer
from caicaini.testing.live_server import LiveServer
from tests.conftest import make_settings
from tests.payments.support import free_port, setup_catalogue

API_KEY = "test-nowpayments-key"
IPN_SECRET = "test-nowpayments-ipn-secret"


@pytest.fixture
def fake_np() -> Iterator[FakeNowPaymentsServer]:
    with FakeNowPaymentsServer(api_key=API_KEY, ipn_secret=IPN_SECRET) as server:
        yield server


@pytest.fixture
def live_port() -> int:
    return free_port()


@pytest.fixture
def live_settings(
    db_url: str, tmp_path: Path, fake_np: FakeNowPaymentsServer, live_port: int
) -> Settings:
    return make_settings(
        db_url,
        tmp_path,
        public_url=f"http://127.0.0.1:{live_port}",
        nowpayments_base_url=fake_np.base_url,
        nowpayments_api_key=API_KEY,
        nowpayments_ipn_secret=IPN_SECRET,
        nowpayments_email=DEV_EMAIL,
        nowpayments_password=DEV_PASSWORD,
    )


@pytest.fixture
async def live(
    live_settings: Settings, clock: FrozenClock, live_port: int, ctx_np: AppContext
) -> AsyncIterator[httpx.AsyncClient]:
    """Our app served by uvicorn (same database and frozen clock); a client logged out."""
    db = Database(live_settings.resolved_database_url)
    app = create_app(ctx=AppContext(live_settings, db, clock))
    with LiveServer(app, port=live_port, lifespan="on", cleanup=db.dispose) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield http


@pytest.fixture
async def ctx_np(
    live_settings: Settings, clock: FrozenClock, ctx: AppContext
) -> AsyncIterator[AppContext]:
    """A test-side context on the same settings as the live app (tables emptied by ``ctx``)."""
    context = AppContext(live_settings, Database(live_settings.resolved_database_url), clock)
    await setup_catalogue(context)
    try:
        yield context
    finally:
        await context.close()

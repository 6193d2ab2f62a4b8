"""Schemathesis over the OpenAPI document (``/api/openapi.json``): every documented operation,
fed generated input that fits its schema and input that does not, answers without a 5xx
(issue 12, item 7).

The app runs under uvicorn (a real HTTP server) on SQLite and on PostgreSQL, with a customer
on a paid plan logged in: requests carry the session cookie, the CSRF header and an API key,
so they reach the handlers behind authentication. Logging out and closing the account are
sent without them (they would end the session the rest of the run uses), and revoking "the
current key" without the key. The run is bounded
in examples per operation (``EXAMPLES``) and in time per database (``BUDGET_SECONDS``: past it
the remaining operations are not called); no shrinking, so a failure reports the first case
found, with a curl command to replay it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import Case

from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.main import create_app
from caicaini.plans.hooks import install_default_catalogue
from caicaini.subscriptions.service import SubscriptionService
from caicaini.testing.live_server import LiveServer
from tests.accounts.helpers import PASSWORD, make_account
from tests.conftest import _empty_tables, make_settings
from tests.payments.support import free_port

EXAMPLES = 10
BUDGET_SECONDS = 150
EMAIL = "fuzz@example.com"
WITHOUT_AUTH = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/close")}
WITHOUT_KEY = {("DELETE", "/api/v1/keys/current")}  # it would revoke the run's key


@dataclass
class Target:
    url: str
    http: requests.Session
    headers: dict[str, str]
    deadline: float


async def _prepare(settings: Settings) -> str:
    """Empty tables, the catalogue, a verified customer on plus; returns an API key."""
    ctx = AppContext.from_settings(settings)
    try:
        await _empty_tables(ctx.db)
        await install_default_catalogue(ctx)
        account = await make_account(ctx, EMAIL)
        async with ctx.transaction() as session:
            await SubscriptionService(session, ctx.clock).start_complimentary(
                account.id, "plus", actor=Actor.system()
            )
            _key, secret = await ApiKeyService(session, ctx.clock).create(
                account.id, KeyOptions(name="fuzz"), actor=Actor.system()
            )
        return secret
    finally:
        await ctx.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    db_url = str(request.getfixturevalue(f"{request.param}_url"))
    port = free_port()
    settings = make_settings(
        db_url, tmp_path_factory.mktemp("fuzz"), public_url=f"http://127.0.0.1:{port}"
    )
    key = asyncio.run(_prepare(settings))
    with (
        LiveServer(create_app(settings), port=port, lifespan="on") as server,
        requests.Session() as http,
    ):
        login = http.post(
            f"{server.url}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        headers = {"x-csrf-token": login.json()["csrf_token"], "x-api-key": key}
        yield Target(server.url, http, headers, time.monotonic() + BUDGET_SECONDS)


def _document() -> dict[str, object]:
    """The document the server publishes at /api/openapi.json (the same app, built offline:
    the operations must be known when the tests are collected)."""
    data_dir = Path(tempfile.mkdtemp(prefix="caicaini-openapi-"))
    app = create_app(make_settings(f"sqlite+aiosqlite:///{data_dir}/unused.db", data_dir))
    return app.openapi()


schema = schemathesis.openapi.from_dict(_document())


@pytest.mark.timeout(BUDGET_SECONDS + 300)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_generated_input_answers_5xx(case: Case, fuzz_target: Target) -> None:
    if time.monotonic() > fuzz_target.deadline:
        return
    operation = (case.method.upper(), case.path)
    if operation in WITHOUT_AUTH:
        response = case.call(base_url=fuzz_target.url, timeout=30)
    else:
        headers = dict(fuzz_target.headers)
        if operation in WITHOUT_KEY:
            headers.pop("x-api-key")
        response = case.call(
            base_url=fuzz_target.url, session=fuzz_target.http, headers=headers, timeout=30
        )
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} answered {response.status_code}: "
        f"{response.text[:400]}\n{case.as_curl_command()}"
    )

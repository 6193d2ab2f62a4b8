"""Production hardening: no plain-http public URL in production unless allowed, security
headers on every response, ``/metrics`` behind a token, and X-Forwarded-For believed only
from the configured proxies (through ``caicaini serve`` itself: uvicorn trusts 127.0.0.1 by
default, which let any local client pick its own address)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from caicaini.api_keys import keyformat
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.http.security import PAGE_POLICY
from caicaini.main import create_app
from caicaini.testing.server_process import ServerProcess
from tests.conftest import TEST_SECRET, make_settings

PRODUCTION = {
    "env": "production",
    "secret_key": TEST_SECRET,
    "database_url": "postgresql://db.internal/caicaini",
}


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url  # headers and settings: one backend is enough


def test_production_refuses_an_http_public_url_unless_allowed() -> None:
    with pytest.raises(ValueError, match="CAICAINI_PUBLIC_URL must be https"):
        Settings(**PRODUCTION, public_url="http://caicaini.example")
    with pytest.raises(ValueError, match="CAICAINI_PUBLIC_URL must be https"):
        Settings(**PRODUCTION)  # the default, http://127.0.0.1:8000
    allowed = Settings(**PRODUCTION, public_url="http://10.0.0.5", allow_http_public_url=True)
    assert not allowed.secure_cookies
    assert Settings(**PRODUCTION, public_url="https://caicaini.example").secure_cookies


async def serve(settings: Settings) -> tuple[AppContext, LifespanManager]:
    ctx = AppContext.from_settings(settings)
    return ctx, LifespanManager(create_app(ctx=ctx))


@pytest.mark.parametrize(
    "path", ["/", "/login", "/pricing", "/api/v1/pricing", "/v1/messages", "/nowhere"]
)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await (client.get(path) if path != "/v1/messages" else client.post(path, json={}))
    assert r.headers["content-security-policy"] == PAGE_POLICY
    assert "frame-ancestors 'none'" in PAGE_POLICY and "script-src 'self';" in PAGE_POLICY
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in r.headers  # the public URL is http here


async def test_hsts_is_sent_when_the_public_url_is_https(sqlite_url: str, tmp_path: Path) -> None:
    ctx, app = await serve(make_settings(sqlite_url, tmp_path, public_url="https://c.example"))
    async with app as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://c.example") as http:
            r = await http.get("/pricing")
    await ctx.close()
    assert r.headers["strict-transport-security"].startswith("max-age=63072000")


@pytest.mark.parametrize(
    ("overrides", "authorization", "status"),
    [
        ({"metrics_token": "m-token-0123456789"}, None, 401),
        ({"metrics_token": "m-token-0123456789"}, "Bearer wrong", 401),
        ({"metrics_token": "m-token-0123456789"}, "Bearer m-token-0123456789", 200),
        ({}, None, 200),  # development: open, for the developer's own Prometheus
    ],
)
async def test_metrics_need_the_token_when_one_is_set(
    sqlite_url: str,
    tmp_path: Path,
    overrides: dict[str, str],
    authorization: str | None,
    status: int,
) -> None:
    ctx, app = await serve(make_settings(sqlite_url, tmp_path, **overrides))
    headers = {"authorization": authorization} if authorization else {}
    async with app as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            r = await http.get("/metrics", headers=headers)
    await ctx.close()
    assert r.status_code == status, r.text
    if status == 200:
        assert "caicaini_http_requests_total" in r.text
    else:
        assert "m-token" not in r.text


async def test_metrics_are_not_served_in_production_without_a_token(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = make_settings(sqlite_url, tmp_path)
    ctx, app = await serve(settings)
    async with app as manager:
        ctx.settings.env = "production"  # the validator's other rules are tested above
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            r = await http.get("/metrics")
    await ctx.close()
    assert r.status_code == 404


@pytest.fixture
def serve_env(sqlite_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    yield {
        "CAICAINI_ENV": "test",
        "CAICAINI_DATABASE_URL": sqlite_url,
        "CAICAINI_DATA_DIR": str(tmp_path),
        "CAICAINI_SECRET_KEY": TEST_SECRET,
        "CAICAINI_RUN_JOBS_IN_PROCESS": "false",
        "CAICAINI_LOG_LEVEL": "WARNING",
    }


def made_up_keys_from_rotating_addresses(url: str) -> list[int]:
    """21 well-formed but unknown keys, each claiming another address: past 20 bad keys
    a minute an address is throttled (429), so this is all 401 only if the claims count."""
    statuses = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for n in range(21):
            headers = {
                "x-api-key": keyformat.generate(),
                "anthropic-version": "2023-06-01",
                "x-forwarded-for": f"198.51.100.{n + 1}",
            }
            statuses.append(http.post("/v1/messages", json={}, headers=headers).status_code)
    return statuses


@pytest.mark.parametrize(
    ("trusted", "last_status"),
    [(None, 429), ("127.0.0.1", 401)],
    ids=["no-proxy-configured", "proxy-on-loopback"],
)
def test_x_forwarded_for_counts_only_from_configured_proxies(
    serve_env: dict[str, str], tmp_path: Path, trusted: str | None, last_status: int
) -> None:
    env = {**serve_env, **({"CAICAINI_TRUSTED_PROXIES": trusted} if trusted else {})}
    with ServerProcess(env, tmp_path / "serve.log") as server:
        statuses = made_up_keys_from_rotating_addresses(server.url)
    assert statuses[:20] == [401] * 20
    assert statuses[20] == last_status

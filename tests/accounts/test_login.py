"""Login sessions, CSRF on session requests, throttling, and account states."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from caicaini.accounts.closure import ClosureService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from tests.accounts.helpers import PASSWORD, api_login, make_account, outbox


async def test_login_sets_a_secure_session_cookie_and_returns_a_csrf_token(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    response = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["csrf_token"]
    cookie = response.headers["set-cookie"].lower()
    assert "caicaini_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    me = await client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["email"] == "ada@example.com"


async def test_wrong_password_and_unknown_address_look_the_same(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": "nope-nope-1"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": "nope-nope-1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]


async def test_failed_logins_are_throttled_per_account(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await make_account(ctx)
    for _ in range(ctx.settings.login_max_failures):
        bad = await client.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": "wrong-guess-1"}
        )
        assert bad.status_code == 401
    # Even the right password is refused while throttled.
    blocked = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert 0 < int(blocked.headers["retry-after"]) <= ctx.settings.login_window_seconds + 1

    clock.advance(timedelta(seconds=ctx.settings.login_window_seconds + 1))
    assert (await api_login(client)) != ""


async def test_failed_logins_are_throttled_per_address(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    limit = ctx.settings.login_max_failures * 4
    for n in range(limit):
        await client.post(
            "/api/v1/auth/login", json={"email": f"guess{n}@example.com", "password": "x" * 10}
        )
    blocked = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429


async def test_suspended_account_cannot_log_in_and_is_told_why(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    account = await make_account(ctx)
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            account.id, "suspended", "chargeback on payment 42", Actor("operator", "acct_op")
        )
    response = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_unavailable"
    assert "suspended" in response.json()["error"]["message"]
    assert "chargeback on payment 42" in response.json()["error"]["message"]
    notice = (await outbox(ctx, "ada@example.com"))[-1]
    assert "suspended" in notice.subject and "chargeback" in notice.body_text


async def test_unsafe_session_request_without_csrf_token_is_refused(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await api_login(client)
    body = {"current_password": PASSWORD, "new_password": "another-Secret-9"}
    refused = await client.post("/api/v1/me/password", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    # Nothing changed: the old password still logs in.
    client.cookies.clear()
    assert await api_login(client)


async def test_change_password_ends_other_sessions(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    csrf = await api_login(client)
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await api_login(other)
        changed = await client.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": "another-Secret-9"},
            headers={"x-csrf-token": csrf},
        )
        assert changed.status_code == 204
        assert (await client.get("/api/v1/me")).status_code == 200
        assert (await other.get("/api/v1/me")).status_code == 401


async def test_change_password_requires_the_current_one(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    csrf = await api_login(client)
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": "not-it-at-all-1", "new_password": "another-Secret-9"},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 401
    assert "current password" in response.json()["error"]["message"]


async def test_logout_ends_the_session(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx)
    csrf = await api_login(client)
    cookie = client.cookies.get("caicaini_session")
    assert (
        await client.post("/api/v1/auth/logout", headers={"x-csrf-token": csrf})
    ).status_code == 204
    client.cookies.set("caicaini_session", cookie or "")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_anonymous_json_endpoints_refuse_non_json_bodies(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    # A cross-site form can post text/plain or form data, but never application/json.
    await make_account(ctx)
    body = json.dumps({"email": "ada@example.com", "password": PASSWORD})
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = await client.post(
            "/api/v1/auth/login", content=body, headers={"content-type": content_type}
        )
        assert response.status_code == 400, content_type
        assert "caicaini_session" not in response.headers.get("set-cookie", "")

"""Device sign-in for the terminal client: the client starts it, the logged-in user approves
on /device, the client collects a key of its own (named after the device, listed and
revocable like any other), exactly once; pending, too-fast, denied, expired and free-plan
sign-ins each get their own answer."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from tests.web.helpers import catalogue, csrf_of, login, make_account


async def start(client: httpx.AsyncClient, name: str = "ada-laptop") -> dict[str, str]:
    response = await client.post(
        "/api/v1/device/code", json={"device_name": name, "fingerprint": "machine-0123456789abcdef"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", body["user_code"])
    assert body["verification_uri"] == "http://testserver/device"
    assert body["verification_uri_complete"].endswith("?code=" + body["user_code"])
    assert body["interval"] == 5 and body["expires_in"] == 600
    return dict(body)


async def poll(client: httpx.AsyncClient, device_code: str) -> httpx.Response:
    return await client.post("/api/v1/device/token", json={"device_code": device_code})


async def decide(client: httpx.AsyncClient, user_code: str, verdict: str) -> httpx.Response:
    page = await client.get("/device", params={"code": user_code.lower().replace("-", " ")})
    assert page.status_code == 200
    assert "ada-laptop" in page.text and user_code in page.text
    return await client.post(
        f"/device/{verdict}", data={"csrf_token": csrf_of(page.text), "user_code": user_code}
    )


async def test_approved_device_gets_a_key_of_its_own_once(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await catalogue(ctx)
    await make_account(ctx, plan="plus")
    await login(client)
    started = await start(client)

    waiting = await poll(client, started["device_code"])
    assert waiting.status_code == 409
    assert waiting.json()["error"]["code"] == "authorization_pending"
    eager = await poll(client, started["device_code"])
    assert eager.status_code == 429 and eager.json()["error"]["code"] == "slow_down"
    assert eager.headers["retry-after"] == "5"

    approved = await decide(client, started["user_code"], "approve")
    assert approved.status_code == 200 and "Device signed in" in approved.text
    clock.advance(timedelta(seconds=5))
    issued = await poll(client, started["device_code"])
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["key_name"] == "Caicaini Code on ada-laptop"
    key = body["api_key"]

    clock.advance(timedelta(seconds=5))
    again = await poll(client, started["device_code"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "expired_token"

    listed = await client.get("/api/v1/keys", headers={"authorization": f"Bearer {key}"})
    assert [k["name"] for k in listed.json()["data"]] == ["Caicaini Code on ada-laptop"]
    page = await client.get("/keys")
    assert "Caicaini Code on ada-laptop" in page.text

    # logout: the key revokes itself, and is refused from then on.
    revoked = await client.delete("/api/v1/keys/current", headers={"x-api-key": key})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = await client.get("/api/v1/balance", headers={"x-api-key": key})
    assert refused.status_code == 401


async def test_denied_and_expired_sign_ins(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await catalogue(ctx)
    await make_account(ctx, plan="plus")
    await login(client)
    denied = await start(client)
    page = await decide(client, denied["user_code"], "deny")
    assert "Sign-in denied" in page.text
    answer = await poll(client, denied["device_code"])
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "access_denied"

    late = await start(client)
    clock.advance(timedelta(seconds=601))
    answer = await poll(client, late["device_code"])
    assert answer.json()["error"]["code"] == "expired_token"
    page = await client.get("/device", params={"code": late["user_code"]})
    assert page.status_code == 404 and "expired" in page.text

    unknown = await poll(client, "not-a-code")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "invalid_grant"


async def test_free_plan_is_told_it_has_no_api_access(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx)
    await login(client)
    started = await start(client)
    page = await decide(client, started["user_code"], "approve")
    assert "No API access on your plan" in page.text
    assert "Free plan has no API access" in page.text
    answer = await poll(client, started["device_code"])
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "api_keys_not_in_plan"
    assert "Free plan has no API access" in error["message"]
    assert "http://testserver/billing" in error["message"]


async def test_approval_page_needs_a_login_and_keeps_the_code(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    response = await client.get("/device", params={"code": "BCDF-GHJK"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdevice%3Fcode%3DBCDF-GHJK"
    await make_account(ctx, plan="plus")
    await login(client)
    form = await client.get("/device")
    assert 'name="code"' in form.text
    approve_without_csrf = await client.post("/device/approve", data={"user_code": "BCDF-GHJK"})
    assert approve_without_csrf.status_code == 403


async def test_an_address_may_start_only_so_many_sign_ins(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    for _ in range(30):
        await start(client)
    refused = await client.post("/api/v1/device/code", json={"device_name": "x"})
    assert refused.status_code == 429

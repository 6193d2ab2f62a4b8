"""The owner's JSON API for credits: the public pricing page data, balance by grant, ledger
history, and notices."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from caicaini.accounts.service import AccountService
from caicaini.context import AppContext
from caicaini.ledger.service import LedgerService
from caicaini.notices.service import NoticeService
from caicaini.plans.hooks import install_default_catalogue

PASSWORD = "correct-Horse-7"
DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)


async def _signed_in(ctx: AppContext, client: httpx.AsyncClient) -> tuple[str, str]:
    async with ctx.transaction() as session:
        account = await AccountService(session, ctx.clock, ctx.settings).create(
            email="ada@example.com",
            password=PASSWORD,
            date_of_birth=datetime(1990, 5, 17).date(),
            country="GB",
            verified=True,
        )
    response = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return account.id, str(response.json()["csrf_token"])


async def test_pricing_is_public(ctx: AppContext, client: httpx.AsyncClient) -> None:
    await install_default_catalogue(ctx)
    response = await client.get("/api/v1/pricing")
    assert response.status_code == 200
    body = response.json()
    assert body["sheet_version"] == 1
    assert "max(1, ceil(input_tokens / included_input_tokens)" in body["message_definition"]
    pro = next(p for p in body["plans"] if p["name"] == "pro")
    assert {"model": "claude-opus-4-5", "credits_per_unit": 10} in pro["rates"]
    assert {t["name"]: t["credits"] for t in body["topups"]} == {
        "small": 2000,
        "medium": 9000,
        "large": 25000,
    }
    assert {m["provider"] for m in body["models"]} == {"anthropic", "moonshot"}


async def test_balance_and_history_belong_to_the_owner(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    await install_default_catalogue(ctx)
    assert (await client.get("/api/v1/balance")).status_code == 401
    account_id, _ = await _signed_in(ctx, client)
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        await ledger.grant(account_id, 833, "subscription", idempotency_key="s", expires_at=DEC_1)
        await ledger.grant(account_id, 2000, "topup", idempotency_key="t")
        await ledger.hold(account_id, request_id="req-1", amount=30)
        await ledger.settle("req-1", 9)

    body = (await client.get("/api/v1/balance")).json()
    assert body["balance"] == 833 + 2000 - 9
    assert [(g["kind"], g["remaining"], g["expires_at"]) for g in body["grants"]] == [
        ("subscription", 824, "2026-12-01T00:00:00+00:00"),
        ("topup", 2000, None),
    ]

    page = (await client.get("/api/v1/ledger", params={"limit": 2})).json()
    assert page["has_more"] is True
    assert [(e["kind"], e["amount"], e["charged"]) for e in page["items"]] == [
        ("settle", 21, 9),
        ("hold", -30, 0),
    ]


async def test_notices_are_listed_and_marked_read(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    account_id, csrf = await _signed_in(ctx, client)
    async with ctx.transaction() as session:
        notice = await NoticeService(session, ctx.clock, "http://testserver").notify(
            account_id, kind="price_change", ref="price_sheet:2", subject="Changes", body="..."
        )
    items = (await client.get("/api/v1/notices")).json()["items"]
    assert [(n["subject"], n["read"]) for n in items] == [("Changes", False)]
    response = await client.post(
        f"/api/v1/notices/{notice.id}/read", headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/notices")).json()["items"][0]["read"] is True
    other = await client.post("/api/v1/notices/notice_x/read", headers={"x-csrf-token": csrf})
    assert other.status_code == 404

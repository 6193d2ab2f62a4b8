"""The operator console: only operators get in; status changes and credit adjustments need a
reason and are audited; approving a manual transfer grants its credits once."""

from __future__ import annotations

import httpx

from caicaini.accounts.repository import AccountRepository
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.payments.manual import ManualService
from caicaini.payments.orders import OrderRequest, OrderService
from caicaini.payments.repository import PaymentRepository
from tests.accounts.helpers import audit_actions
from tests.web.helpers import balance, catalogue, login, make_account

PAGES = ("/console", "/console/payments", "/console/audit")


async def as_operator(client: httpx.AsyncClient, ctx: AppContext) -> str:
    await catalogue(ctx)
    await make_account(ctx, "op@example.com", operator=True)
    return await login(client, "op@example.com")


async def test_anonymous_visitors_go_to_login(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/console")


async def test_customers_are_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    token = await login(client)
    for path in (*PAGES, f"/console/users/{acct.id}"):
        assert (await client.get(path)).status_code == 403
    response = await client.post(
        f"/console/users/{acct.id}/credits",
        data={"csrf_token": token, "amount": "500", "reason": "self-service"},
    )
    assert response.status_code == 403
    assert await balance(ctx, acct.id) == 0
    html = (await client.get("/dashboard")).text
    assert 'href="/console"' not in html


async def test_operator_finds_users_with_status_plan_and_balance(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await as_operator(client, ctx)
    await make_account(ctx, "grace@example.com", plan="pro")
    await make_account(ctx, "linus@example.com")
    page = await client.get("/console?q=GRACE")
    assert page.status_code == 200
    assert 'href="/console"' in page.text
    users = page.text.split('id="users"', 1)[1].split("</table>", 1)[0]
    assert "grace@example.com" in users and "linus@example.com" not in users
    assert "<td>pro</td>" in users and ">active<" in users


async def test_suspend_needs_a_reason_and_is_audited(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    acct = await make_account(ctx)
    url = f"/console/users/{acct.id}/status"
    missing = await client.post(url, data={"csrf_token": token, "status": "suspended"})
    assert missing.status_code == 400
    assert "give a reason" in missing.text
    no_csrf = await client.post(url, data={"status": "suspended", "reason": "abuse"})
    assert no_csrf.status_code == 403
    done = await client.post(
        url, data={"csrf_token": token, "status": "suspended", "reason": "chargeback abuse"}
    )
    assert done.status_code == 303
    page = await client.get(done.headers["location"])
    assert 'id="user-status">suspended<' in page.text and "chargeback abuse" in page.text
    assert "account.status_changed" in await audit_actions(ctx)
    back = await client.post(
        url, data={"csrf_token": token, "status": "active", "reason": "resolved"}
    )
    assert back.status_code == 303
    async with ctx.transaction() as session:
        row = await AccountRepository(session).get(acct.id)
        assert row is not None and row.status == "active"


async def test_credit_adjustment_needs_a_reason_and_applies_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    acct = await make_account(ctx)
    page = await client.get(f"/console/users/{acct.id}")
    key = page.text.split('name="adjust_key" value="', 1)[1].split('"', 1)[0]
    url = f"/console/users/{acct.id}/credits"
    missing = await client.post(url, data={"csrf_token": token, "amount": "500", "adjust_key": key})
    assert missing.status_code == 400 and "give a reason" in missing.text
    form = {"csrf_token": token, "amount": "500", "reason": "outage credit", "adjust_key": key}
    assert (await client.post(url, data=form)).status_code == 303
    assert (await client.post(url, data=form)).status_code == 303  # double submit
    assert await balance(ctx, acct.id) == 500
    assert "500 credits" in (await client.get(f"/console/users/{acct.id}")).text


async def manual_claim(ctx: AppContext, email: str = "ada@example.com") -> tuple[str, str]:
    acct = await make_account(ctx, email)
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, ctx.settings.public_url)
        await manual.set_address("usdt", "trc20", "TXyzReceivingAddress0001", actor=Actor.system())
        await manual.set_rate("usdt", "1.00", actor=Actor.system())
    async with ctx.transaction() as session:
        account = await PaymentRepository(session).account(acct.id)
        assert account is not None
        order = await OrderService(session, ctx.clock).open(
            account, OrderRequest("topup:small", "manual", "usdt"), actor=Actor.system()
        )
    async with ctx.transaction() as session:
        await ManualService(session, ctx.clock, ctx.settings.public_url).claim(
            order.id, acct.id, "deadbeef00112233", "TSenderAddress0001", actor=Actor.system()
        )
    return acct.id, order.id


async def test_approving_a_manual_transfer_grants_its_credits(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    account_id, order_id = await manual_claim(ctx)
    home = await client.get("/console")
    assert "1 payment waiting for review" in home.text
    queue = await client.get("/console/payments")
    assert f'id="review-{order_id}"' in queue.text and "ada@example.com" in queue.text
    assert "deadbeef00112233" in queue.text
    approved = await client.post(
        f"/console/payments/{order_id}/approve", data={"csrf_token": token}
    )
    assert approved.status_code == 303
    assert await balance(ctx, account_id) == 2000
    again = await client.post(f"/console/payments/{order_id}/approve", data={"csrf_token": token})
    assert again.status_code == 409 and "nothing waiting for a decision" in again.text
    assert await balance(ctx, account_id) == 2000
    assert "Nothing waiting for review" in (await client.get("/console/payments")).text
    audit = await client.get("/console/audit")
    assert "payment.approved" in audit.text


async def test_rejecting_needs_a_reason(client: httpx.AsyncClient, ctx: AppContext) -> None:
    token = await as_operator(client, ctx)
    account_id, order_id = await manual_claim(ctx)
    url = f"/console/payments/{order_id}/reject"
    missing = await client.post(url, data={"csrf_token": token, "reason": " "})
    assert missing.status_code == 400 and "give a reason" in missing.text
    no_csrf = await client.post(url, data={"reason": "no such transaction"})
    assert no_csrf.status_code == 403
    done = await client.post(url, data={"csrf_token": token, "reason": "no such transaction"})
    assert done.status_code == 303
    async with ctx.transaction() as session:
        order = await PaymentRepository(session).order(order_id)
        assert order is not None and order.status == "rejected"
    assert await balance(ctx, account_id) == 0

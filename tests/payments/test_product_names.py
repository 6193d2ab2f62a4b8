"""People read product names, never product codes: "Plus plan, one month", "Top-up, 2,000
credits", from one function, frozen in the order like its price, in pages and e-mails."""

from __future__ import annotations

import httpx
import pytest

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.payments.approvals import ApprovalService
from caicaini.payments.manual import ManualService
from caicaini.payments.orders import OrderRequest, OrderService
from caicaini.plans.products import product_label
from tests.payments.support import account, mails, make_account, setup_catalogue
from tests.web.helpers import login as page_login

OPERATOR = Actor("operator", "op_test")


@pytest.mark.parametrize(
    ("product", "credits", "display_name", "label"),
    [
        ("plan:plus", 5000, "Plus", "Plus plan, one month"),
        ("plan:team-max", 1, "", "Team Max plan, one month"),
        ("topup:small", 2000, "", "Top-up, 2,000 credits"),
        ("topup:large", 25000, "", "Top-up, 25,000 credits"),
    ],
)
def test_the_one_wording_of_a_product(
    product: str, credits: int, display_name: str, label: str
) -> None:
    assert product_label(product, credits, display_name) == label


@pytest.fixture
async def manual_usdt(ctx: AppContext) -> None:
    await setup_catalogue(ctx)
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, "")
        await manual.set_address("usdt", "trc20", "TReceivingAddressUsdt000001", actor=OPERATOR)
        await manual.set_rate("usdt", "1", actor=OPERATOR)


async def _open(ctx: AppContext, account_id: str, product: str) -> str:
    async with ctx.transaction() as session:
        row = await session.get(type(await account(ctx, account_id)), account_id)
        assert row is not None
        placed = await OrderService(session, ctx.clock).open(
            row, OrderRequest(product, "manual", "usdt"), actor=OPERATOR
        )
        return placed.id


@pytest.mark.usefixtures("manual_usdt")
async def test_an_order_keeps_its_name_and_the_mail_uses_it(ctx: AppContext) -> None:
    acct = await make_account(ctx)
    topup = await _open(ctx, acct.id, "topup:medium")
    plan = await _open(ctx, acct.id, "plan:plus")
    async with ctx.transaction() as session:
        orders = OrderService(session, ctx.clock)
        assert (await orders.get(topup)).product_label == "Top-up, 9,000 credits"
        assert (await orders.get(plan)).product_label == "Plus plan, one month"
    async with ctx.transaction() as session:
        await ManualService(session, ctx.clock, "").claim(
            topup, acct.id, "ab12cd34ef56ab78", "TSenderWallet0000001", actor=OPERATOR
        )
    async with ctx.transaction() as session:
        await ApprovalService(session, ctx.clock, "http://shop.test").approve(topup, actor=OPERATOR)
    (confirmed,) = [m for m in await mails(ctx, acct.email) if "confirmed" in m.subject]
    assert "Your payment for Top-up, 9,000 credits is confirmed." in confirmed.body_text
    assert "9,000 credits were added to your balance." in confirmed.body_text
    assert f"http://shop.test/billing/orders/{topup}" in confirmed.body_text
    assert "topup:" not in confirmed.body_text


@pytest.mark.usefixtures("manual_usdt")
async def test_pages_name_products_in_words(client: httpx.AsyncClient, ctx: AppContext) -> None:
    acct = await make_account(ctx)
    order_id = await _open(ctx, acct.id, "topup:small")
    await page_login(client)
    billing = await client.get("/billing")
    assert "Top-up, 2,000 credits" in billing.text and "Plus plan, one month" in billing.text
    assert ">topup:small<" not in billing.text
    order_page = await client.get(f"/billing/orders/{order_id}")
    assert "<h1>Top-up, 2,000 credits</h1>" in order_page.text
    assert "topup:small" not in order_page.text


async def test_pricing_has_buy_buttons_that_choose_the_product(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await setup_catalogue(ctx)
    await make_account(ctx)
    pricing = await client.get("/pricing")
    for product in ("topup:small", "topup:medium", "topup:large", "plan:plus", "plan:pro"):
        assert f'href="/billing?product={product.replace(":", "%3A")}#buy"' in pricing.text
    assert "Top-up, 25,000 credits" in pricing.text
    # Logged out, the button goes through the login page and back to the chosen product.
    first = await client.get("/billing?product=topup%3Amedium")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/billing%3Fproduct%3Dtopup%253Amedium"
    login_page = await client.get(first.headers["location"])
    assert 'value="/billing?product=topup%3Amedium"' in login_page.text
    await page_login(client)
    billing = await client.get("/billing?product=topup%3Amedium")
    assert 'value="topup:medium" checked' in billing.text
    unknown = await client.get("/billing?product=topup%3Anope")
    assert unknown.status_code == 200 and 'value="topup:small" checked' in unknown.text

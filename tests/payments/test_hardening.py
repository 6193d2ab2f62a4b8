"""Payment holes found by an adversarial pass (issue 12, items 5, 6 and 9): a transaction hash
written another way claimed a second order; a payment reported finished with 1% actually paid
was credited in full; an account opened 371 NOWPayments invoices in 150 s."""

from __future__ import annotations

import httpx
import pytest

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.payments.manual import ManualService
from caicaini.payments.orders import MAX_OPEN_INVOICES
from caicaini.payments.txhash import normalise_tx_hash
from caicaini.testing.fake_nowpayments import FakeNowPaymentsServer
from tests.payments.support import (
    balance,
    eventually,
    login,
    make_account,
    order,
    payments,
    setup_catalogue,
)
from tests.payments.test_nowpayments_e2e import _advance, _buy

OPERATOR = Actor("operator", "op_test")
H = "9f2c" * 16  # a 64-digit hex hash


@pytest.mark.parametrize(
    ("typed", "network", "stored"),
    [
        (H, "trc20", H),
        ("0x" + H, "erc20", H),
        ("0X" + H, "bitcoin", H),
        ("0X" + H.upper(), "bsc", H),
        ("  " + H.upper() + "\n", "xrp", H),
        ("0x" + H, "some-new-chain", H),  # all hex: hex, whatever the network
        ("5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW",
         "solana",
         "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"),
        ("AbCdEf0123456789xyz", "some-new-chain", "AbCdEf0123456789xyz"),
    ],
)  # fmt: skip
def test_a_hash_has_one_spelling_per_network(typed: str, network: str, stored: str) -> None:
    assert normalise_tx_hash(typed, network) == stored


@pytest.mark.parametrize(
    ("typed", "network", "named"),
    [
        (H + "\u200b", "trc20", "U+200B ZERO WIDTH SPACE"),
        (H[:10] + "\u00ad" + H[10:], "trc20", "U+00AD SOFT HYPHEN"),
        ("0\uff58" + H, "erc20", "U+FF58 FULLWIDTH LATIN SMALL LETTER X"),
        (H[:-1] + "\uff11", "bitcoin", "U+FF11 FULLWIDTH DIGIT ONE"),
        (H[:-1] + "\u0430", "bitcoin", "U+0430 CYRILLIC SMALL LETTER A"),
        (H[:-1] + "g", "bitcoin", "U+0067 LATIN SMALL LETTER G ('g')"),
        (H[:30] + " " + H[30:], "trc20", "U+0020 SPACE"),
        ("5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQU0",
         "solana", "U+0030 DIGIT ZERO ('0')"),
        ("abc-def-0123456789", None, "U+002D HYPHEN-MINUS ('-')"),
    ],
)  # fmt: skip
def test_characters_outside_the_networks_alphabet_are_refused_by_name(
    typed: str, network: str | None, named: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_tx_hash(typed, network)
    assert refused.value.field == "tx_hash"
    assert named in refused.value.message


async def _manual_order(client: httpx.AsyncClient, csrf: str) -> str:
    r = await client.post(
        "/api/v1/orders",
        json={"product": "topup:small", "method": "manual", "currency": "usdt"},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_one_hash_pays_one_order_however_it_is_written(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await setup_catalogue(ctx)
    async with ctx.transaction() as session:
        manual = ManualService(session, ctx.clock, "")
        await manual.set_address("usdt", "trc20", "TReceivingAddressUsdt000001", actor=OPERATOR)
        await manual.set_rate("usdt", "1", actor=OPERATOR)
    await make_account(ctx)
    csrf = await login(client)

    def claim(order_id: str, tx: str) -> object:
        return client.post(
            f"/api/v1/orders/{order_id}/manual-claim",
            json={"tx_hash": tx, "from_address": "TCustomerWallet000000001"},
            headers={"x-csrf-token": csrf},
        )

    first = await _manual_order(client, csrf)
    assert (await claim(first, H)).status_code == 201  # type: ignore[attr-defined]
    second = await _manual_order(client, csrf)
    for again in ("0X" + H, "0X" + H.upper(), "0x" + H, H.upper()):
        r = await claim(second, again)  # type: ignore[misc]
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "tx_hash_already_claimed"
    for disguised in (H + "\u200b", H[:10] + "\u00ad" + H[10:], "0\uff58" + H):
        r = await claim(second, disguised)  # type: ignore[misc]
        assert r.status_code == 400, r.text
        assert r.json()["error"]["field"] == "tx_hash"
        assert "U+" in r.json()["error"]["message"]
    assert await payments(ctx, second) == []
    assert (await order(ctx, second)).status == "pending"


async def test_a_finished_payment_with_1_percent_paid_goes_to_review_prorated(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    account_id, order_id = await _buy(live, ctx_np)  # topup:small, 5 USD, 2000 credits
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "finished", pay_currency="usdttrc20", actually_paid="0.05")
    found = await eventually(
        lambda: payments(ctx_np, order_id), until=lambda p: bool(p) and p[0].review == "open"
    )
    [payment] = found
    assert payment.suggested_credits == 20  # 0.05 / 5 * 2000
    assert payment.review_reason and payment.review_reason.startswith("underpaid: 0.05 of 5")
    assert (await order(ctx_np, order_id)).status == "review"
    assert await balance(ctx_np, account_id) == 0


async def test_a_shortfall_within_the_tolerance_is_credited_in_full(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    assert ctx_np.settings.underpayment_tolerance_percent == 1
    account_id, order_id = await _buy(live, ctx_np)
    invoice_id = (await order(ctx_np, order_id)).invoice_id or ""
    await _advance(fake_np, invoice_id, "finished", pay_currency="usdttrc20", actually_paid="4.96")
    await eventually(lambda: balance(ctx_np, account_id), until=lambda b: b == 2000)
    [payment] = await payments(ctx_np, order_id)
    assert payment.review == "none"


async def test_open_invoices_are_capped_per_account(
    live: httpx.AsyncClient, ctx_np: AppContext, fake_np: FakeNowPaymentsServer
) -> None:
    await make_account(ctx_np)
    csrf = await login(live)

    def open_invoice() -> object:
        return live.post(
            "/api/v1/orders",
            json={"product": "topup:small", "method": "nowpayments"},
            headers={"x-csrf-token": csrf},
        )

    opened = []
    for _ in range(MAX_OPEN_INVOICES):
        r = await open_invoice()  # type: ignore[misc]
        assert r.status_code == 201, r.text
        opened.append(r.json()["id"])
    calls = len(fake_np.fake.invoices)
    refused = await open_invoice()  # type: ignore[misc]
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "too_many_open_invoices"
    assert len(fake_np.fake.invoices) == calls, "no provider call for a refused order"

    cancel = await live.post(f"/api/v1/orders/{opened[0]}/cancel", headers={"x-csrf-token": csrf})
    assert cancel.status_code == 200, cancel.text
    assert (await open_invoice()).status_code == 201  # type: ignore[attr-defined]

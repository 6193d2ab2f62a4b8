"""The operator command line: orders create/review/approve/reject, manual-transfer settings,
refund and refund-paid, reverse; each command's output and exit code."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caicaini.cli import app
from caicaini.context import AppContext
from caicaini.logs import configure_logging
from tests.conftest import TEST_SECRET, _empty_tables, make_settings
from tests.payments.support import balance, make_account, setup_catalogue


@pytest.fixture
def cli_env(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    env = {
        "CAICAINI_ENV": "test",
        "CAICAINI_DATABASE_URL": db_url,
        "CAICAINI_DATA_DIR": str(tmp_path),
        "CAICAINI_SECRET_KEY": TEST_SECRET,
        "CAICAINI_PUBLIC_URL": "http://127.0.0.1:8000",
        "CAICAINI_LOG_LEVEL": "WARNING",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    async def prepare() -> None:
        ctx = AppContext.from_settings(make_settings(db_url, tmp_path))
        try:
            await _empty_tables(ctx.db)
            await setup_catalogue(ctx)
            await make_account(ctx)
        finally:
            await ctx.close()

    asyncio.run(prepare())
    yield env
    # The commands pointed the logs at the runner's (now closed) stderr: point them back.
    configure_logging("INFO", json=True)


def _balance(db_url: str, tmp_path: Path) -> int:
    async def read() -> int:
        ctx = AppContext.from_settings(make_settings(db_url, tmp_path))
        try:
            async with ctx.transaction() as session:
                from sqlalchemy import select

                from caicaini.models.accounts import Account

                account_id = await session.scalar(select(Account.id))
            return await balance(ctx, str(account_id))
        finally:
            await ctx.close()

    return asyncio.run(read())


def run(*args: str) -> list[str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()


def test_nowpayments_order_prints_the_id_then_the_invoice_url(cli_env: dict[str, str]) -> None:
    lines = run(
        "orders",
        "create",
        "--email",
        "ada@example.com",
        "--product",
        "topup:small",
        "--method",
        "nowpayments",
    )
    assert lines[0].startswith("ord_")
    assert lines[1].startswith("http://127.0.0.1:8000/_fake/nowpayments/pay/")


def test_manual_order_claim_approve_refund_and_payout(
    cli_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    run(
        "payments",
        "address",
        "set",
        "--currency",
        "usdt",
        "--network",
        "trc20",
        "--address",
        "TReceiving000000001",
    )
    run("payments", "rate", "set", "--currency", "usdt", "--usd", "1.0")
    lines = run(
        "orders",
        "create",
        "--email",
        "ada@example.com",
        "--product",
        "topup:medium",
        "--method",
        "manual",
        "--currency",
        "usdt",
    )
    order_id = lines[0]
    assert lines[1] == "20.00 USDT to TReceiving000000001 (trc20)"
    assert run("orders", "review") == ["the review queue is empty"]

    async def claim() -> None:
        ctx = AppContext.from_settings(make_settings(db_url, tmp_path))
        try:
            from caicaini.audit.service import Actor
            from caicaini.payments.manual import ManualService
            from caicaini.payments.orders import OrderService

            async with ctx.transaction() as session:
                placed = await OrderService(session, ctx.clock).get(order_id)
                await ManualService(session, ctx.clock, "").claim(
                    order_id,
                    placed.account_id,
                    "9f" * 32,
                    "TCustomer0000000001",
                    actor=Actor("account"),
                )
        finally:
            await ctx.close()

    asyncio.run(claim())
    [listed] = run("orders", "review")
    assert listed.startswith(order_id) and "manual transfer claim" in listed
    assert run("orders", "approve", order_id) == [f"approved {order_id}: 9000 credits"]
    assert _balance(db_url, tmp_path) == 9000

    refund_lines = run("payments", "refund", order_id, "--incident", "INC-9", "--fee", "1")
    refund_id = refund_lines[0]
    assert refund_lines[1] == "send 19.00 usdt to TCustomer0000000001 (9000 credits frozen)"
    assert _balance(db_url, tmp_path) == 0
    assert run("payments", "refund-paid", refund_id, "--tx-hash", "77" * 32)[0].startswith(
        f"refund {refund_id} paid"
    )


def test_errors_exit_non_zero_with_a_message(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["orders", "approve", "ord_missing"])
    assert result.exit_code == 1 and "no such order" in result.output
    result = CliRunner().invoke(app, ["orders", "reject", "ord_missing", "--reason", "x"])
    assert result.exit_code == 1
    result = CliRunner().invoke(
        app,
        [
            "orders",
            "create",
            "--email",
            "nobody@example.com",
            "--product",
            "topup:small",
            "--method",
            "manual",
        ],
    )
    assert result.exit_code == 1 and "no account" in result.output

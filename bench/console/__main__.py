"""The operator console's server times on a populated service.

    python -m bench.console            (make bench-console) → bench/console/RESULTS.md

Data: 5,000 accounts (each with a sign-up IP and device signal, one grant), 2,000 orders (a
quarter waiting for review), 3,000 audit entries and 20,000 ledger entries spread over 30
days. Measured in-process (an ASGI transport, no network) as an admin, on SQLite and, when
reachable, PostgreSQL, each on a fresh migrated database: the dashboard, the user search
by e-mail, IP and key prefix, a user page, the review queue, the orders list, the audit
log filtered, and the whole audit chain's verification. Target: under 100 ms each page
(the chain verification reads every entry and is reported per 1,000 entries).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import insert
from tests.web.helpers import PASSWORD, csrf_of, make_account

from bench.chat.__main__ import table, timed
from bench.gateway import procs
from caicaini.audit.service import Actor, AuditService
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.kit.ids import new_id
from caicaini.main import create_app
from caicaini.models.accounts import Account, AccountSignal
from caicaini.models.ledger import Grant, LedgerEntry
from caicaini.models.payments import Payment, PaymentOrder
from caicaini.plans.hooks import install_default_catalogue

OUT = Path(__file__).with_name("RESULTS.md")
ACCOUNTS = 5_000
ORDERS = 2_000
AUDIT = 3_000
ENTRIES = 20_000


async def seed(ctx: AppContext) -> str:
    await install_default_catalogue(ctx)
    op = await make_account(ctx, "op@example.com", operator=True)
    now = ctx.clock.now()
    ids = [new_id("acct") for _ in range(ACCOUNTS)]
    async with ctx.transaction() as session:
        await session.execute(insert(Account), [
            {"id": a, "email": f"user{n}@example.com", "password_hash": "x",
             "date_of_birth": datetime(1990, 1, 1).date(), "country": "US", "status": "active",
             "is_operator": False, "session_version": 1, "created_at": now - timedelta(days=n % 30)}
            for n, a in enumerate(ids)
        ])  # fmt: skip
        await session.execute(insert(AccountSignal), [
            row for n, a in enumerate(ids) for row in (
                {"account_id": a, "kind": "ip", "value": f"10.0.{n // 250}.{n % 250}",
                 "event": "signup", "created_at": now},
                {"account_id": a, "kind": "device", "value": f"{n // 2:064x}", "event": "signup",
                 "created_at": now},
            )
        ])  # fmt: skip
        grants = [new_id("grant") for _ in ids]
        await session.execute(insert(Grant), [
            {"id": g, "account_id": a, "kind": "topup", "amount": 100_000, "remaining": 90_000,
             "status": "active", "issued_at": now - timedelta(days=n % 30), "expires_at": None}
            for n, (a, g) in enumerate(zip(ids, grants, strict=True))
        ])  # fmt: skip
        await session.execute(insert(LedgerEntry), [
            {"account_id": ids[n % ACCOUNTS], "grant_id": grants[n % ACCOUNTS],
             "kind": "grant" if n < ACCOUNTS else "settle",
             "amount": 100_000 if n < ACCOUNTS else 0,
             "charged": 0 if n < ACCOUNTS else 2, "idempotency_key": f"bench:{n}",
             "operation_key": f"bench:{n}", "created_at": now - timedelta(days=n % 30)}
            for n in range(ENTRIES)
        ])  # fmt: skip
        orders = [new_id("ord") for _ in range(ORDERS)]
        await session.execute(insert(PaymentOrder), [
            {"id": o, "account_id": ids[n], "product": "topup:small", "product_kind": "topup",
             "credits": 2000, "price_usd": Decimal(5), "sheet_version": 1, "method": "manual",
             "status": "claimed" if n % 4 == 0 else "paid",
             "created_at": now - timedelta(days=n % 30),
             "updated_at": now, "paid_at": None if n % 4 == 0 else now - timedelta(days=n % 30),
             "pay_currency": "usdt", "pay_network": "trc20", "amount_due": Decimal(5)}
            for n, o in enumerate(orders)
        ])  # fmt: skip
        await session.execute(insert(Payment), [
            {"id": new_id("pay"), "order_id": o, "account_id": ids[n], "provider": "manual",
             "provider_payment_id": f"p{n}", "status": "claimed" if n % 4 == 0 else "approved",
             "status_rank": 1, "is_open": n % 4 == 0, "pay_currency": "usdt",
             "pay_amount": Decimal(5), "actually_paid": Decimal(5),
             "payer_address": f"TSender{n:010d}",
             "tx_hash": f"{n:064x}", "review": "none", "provider_data": {"network": "trc20"},
             "created_at": now, "updated_at": now, "checked_at": now}
            for n, o in enumerate(orders)
        ])  # fmt: skip
    for chunk in range(0, AUDIT, 500):
        async with ctx.transaction() as session:
            audit = AuditService(session, ctx.clock)
            for n in range(chunk, chunk + 500):
                await audit.record(
                    "credits.adjusted", actor=Actor("operator", op.id), target_type="account",
                    target_id=ids[n], subject_account_id=ids[n],
                    details={"amount": n, "reason": f"bench {n}"},
                )  # fmt: skip
    async with ctx.transaction() as session:
        row = await session.get(Account, op.id)
        assert row is not None
        row.operator_role = "admin"
    return ids[1234]


async def run(settings: Settings) -> dict[str, list[float]]:
    ctx = AppContext.from_settings(settings)
    user = await seed(ctx)
    app = create_app(ctx=ctx)
    results: dict[str, list[float]] = {}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            page = await client.get("/login")
            await client.post(
                "/login",
                data={"csrf_token": csrf_of(page.text), "email": "op@example.com",
                      "password": PASSWORD},
            )  # fmt: skip
            pages = {
                "GET /console (dashboard, 30 days)": ("/console", {}),
                "GET /console/users?q=user12 (e-mail part)": ("/console/users", {"q": "user12"}),
                "GET /console/users?q=10.0.4.23 (IP)": ("/console/users", {"q": "10.0.4.23"}),
                "GET /console/users?q=sk-cai-AbCd (key prefix)": (
                    "/console/users", {"q": "sk-cai-AbCd"}),
                "GET /console/users/{id} (the user page)": (f"/console/users/{user}", {}),
                f"GET /console/payments (review queue of {ORDERS // 4})": ("/console/payments", {}),
                "GET /console/orders (the newest 200)": ("/console/orders", {}),
                "GET /console/orders?status=claimed&method=manual": (
                    "/console/orders", {"status": "claimed", "method": "manual"}),
                "GET /console/audit (newest 100)": ("/console/audit", {}),
                "GET /console/audit?account=user7@example.com": (
                    "/console/audit", {"account": "user7@example.com"}),
                f"GET /console/audit?verify=1 (chain of {AUDIT:,})": (
                    "/console/audit", {"verify": "1"}),
            }  # fmt: skip
            for name, (url, params) in pages.items():
                results[name] = await timed(client, "GET", url, params=params)
    await ctx.close()
    return results


def measure(database_url: str, data_dir: Path) -> dict[str, list[float]]:
    return procs.run_in_process(database_url, data_dir, run)


def main() -> None:
    load_before = os.getloadavg()[1]
    sections: list[tuple[str, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sections.append(("SQLite", measure(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp))))
        pg = procs.create_pg_database()
        if pg:
            try:
                sections.append(("PostgreSQL", measure(pg, Path(tmp))))
            finally:
                procs.drop_pg_database(pg)
    load_after = os.getloadavg()[1]
    lines = [
        "# Operator console benchmark results",
        "",
        "Produced by `make bench-console` (`python -m bench.console`); rerun to refresh.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"- Load average (5 min) before and after: {load_before:.1f} and {load_after:.1f} "
        "(other work shares the machine: absolute figures are noisy)",
        f"- Data: {ACCOUNTS:,} accounts with an IP and a device signal each, {ORDERS:,} orders "
        f"({ORDERS // 4} waiting for review), {AUDIT:,} audit entries, {ENTRIES:,} ledger "
        "entries over 30 days",
        "- Server time in-process (an ASGI transport, no network), logged in as an admin",
        "- Target: under 100 ms each page; the chain verification reads every entry",
        "",
    ]
    for name, results in sections:
        lines += [f"## {name}", "", *table(results), ""]
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())

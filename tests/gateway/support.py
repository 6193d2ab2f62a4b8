"""Helpers for gateway tests: paying customers, keys, balances and the usage they left."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.kit.credits import ceil_div
from caicaini.kit.ids import new_id
from caicaini.kit.sse import SSEDecoder
from caicaini.ledger.service import LedgerService
from caicaini.ledger.verify import verify_ledger
from caicaini.models.accounts import Account
from caicaini.models.subscriptions import SubscriptionPeriod
from caicaini.models.usage import Receipt, UsageRecord
from caicaini.testing.fake_upstream import FakeUpstreamServer
from tests.conftest import make_settings

CLAUDE = "claude-sonnet-4-5"  # plus: 3 credits per unit
KIMI = "kimi-k2.7-code"  # plus: 2 credits per unit
RATES = {CLAUDE: 3, KIMI: 2, "claude-haiku-4-5": 1, "kimi-k2.5": 1}
IN_CI = os.environ.get("CI", "").lower() == "true"


def gateway_settings(
    db_url: str, data_dir: Path, fake: FakeUpstreamServer, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {"device_poll_interval_seconds": 1, **overrides}
    return make_settings(
        db_url,
        data_dir,
        anthropic_base_url=fake.anthropic_base_url,
        moonshot_base_url=fake.openai_base_url,
        **values,
    )


async def customer(
    ctx: AppContext, *, plan: str = "plus", credits: int = 1000, email: str | None = None
) -> str:
    """An active account on ``plan`` (a running period) holding ``credits`` top-up credits."""
    account_id = new_id("acct")
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        session.add(
            Account(
                id=account_id,
                email=email or f"{account_id}@example.com",
                password_hash="x",
                date_of_birth=date(1990, 1, 1),
                country="US",
                status="active",
                is_operator=False,
                session_version=1,
                created_at=now,
            )
        )
        await session.flush()
        if plan != "free":
            session.add(
                SubscriptionPeriod(
                    id=new_id("per"),
                    account_id=account_id,
                    plan_name=plan,
                    sheet_version=1,
                    allowance=0,
                    starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(days=30),
                    confirmed_at=now - timedelta(hours=1),
                    idempotency_key=new_id("idem"),
                    complimentary=True,
                    status="active",
                    created_at=now,
                )
            )
        if credits:
            await LedgerService(session, ctx.clock).grant(
                account_id, credits, "topup", idempotency_key=new_id("test")
            )
    return account_id


async def issue_key(ctx: AppContext, account_id: str, **options: Any) -> str:
    async with ctx.transaction() as session:
        _key, secret = await ApiKeyService(session, ctx.clock).create(
            account_id, KeyOptions(**options), actor=Actor("operator")
        )
    return secret


async def balance(ctx: AppContext, account_id: str) -> int:
    async with ctx.transaction() as session:
        return await LedgerService(session, ctx.clock).balance(account_id)


async def usage_of(ctx: AppContext, account_id: str) -> list[UsageRecord]:
    async with ctx.transaction() as session:
        stmt = select(UsageRecord).where(UsageRecord.account_id == account_id)
        return list((await session.scalars(stmt.order_by(UsageRecord.created_at))).all())


async def receipts_of(ctx: AppContext, account_id: str) -> list[Receipt]:
    async with ctx.transaction() as session:
        stmt = select(Receipt).where(Receipt.account_id == account_id)
        return list((await session.scalars(stmt)).all())


async def assert_books_balance(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        assert await verify_ledger(session, ctx.clock.now()) == []


def anthropic_headers(key: str, **extra: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": "2023-06-01", **extra}


def message_body(model: str = CLAUDE, text: str = "hello there", **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 1000,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


async def read_events(response: httpx.Response) -> list[tuple[str | None, Any]]:
    decoder = SSEDecoder()
    out = []
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            out.append((event.event, event.data if event.data == "[DONE]" else event.json()))
    return out


async def settled(ctx: AppContext, account: str) -> UsageRecord:
    """Wait (bounded) for the stream's settlement, which runs as the response closes."""
    for _ in range(500):
        records = await usage_of(ctx, account)
        if records:
            return records[0]
        await asyncio.sleep(0.01)
    raise AssertionError("the stream was never settled")


def published_price(model: str, input_tokens: int, output_tokens: int) -> int:
    """The pricing page's rule: rate x max(1, ceil(in / 8000), ceil(out / 2000))."""
    units = max(1, ceil_div(input_tokens, 8000), ceil_div(output_tokens, 2000))
    return RATES[model] * units


async def assert_charged_exactly(ctx: AppContext, account: str, expected: list[int]) -> None:
    records = await usage_of(ctx, account)
    assert sorted(r.credits_charged for r in records) == sorted(expected)
    assert len(await receipts_of(ctx, account)) == len(expected)
    assert await balance(ctx, account) == 1000 - sum(expected)
    await assert_books_balance(ctx)


def cached_tool(
    factory: pytest.TempPathFactory,
    name: str,
    install: Callable[[Path], subprocess.CompletedProcess[str]],
) -> Path:
    """A directory holding a client installed once (in pytest's temp root, which later runs
    reuse), under a lock for sessions running at once. An install that fails fails the test
    under CI (``CI=true``) and skips it elsewhere."""
    root = factory.getbasetemp().parent / name
    ready = root / ".ready"
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            done = install(root)
            if done.returncode != 0:
                message = f"could not install {name}: {(done.stderr or done.stdout)[-500:]}"
                if IN_CI:
                    pytest.fail(message)
                pytest.skip(message)
            ready.touch()
    return root

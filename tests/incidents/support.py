"""Messages that failed, were cut or completed, sent through the real gateway."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from caicaini.cli import app
from caicaini.context import AppContext
from caicaini.models.audit import AuditEntry
from caicaini.models.usage import UsageRecord
from tests.conftest import TEST_SECRET
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    anthropic_headers,
    customer,
    issue_key,
    message_body,
    read_events,
)


async def failed_mid_stream(http: httpx.AsyncClient, key: str, model: str = CLAUDE) -> None:
    """Upstream fails after some output: charged for what was delivered (one unit)."""
    headers = anthropic_headers(
        key, **{"x-fake-output-tokens": "3000", "x-fake-fail-after-events": "6"}
    )
    body = message_body(model, stream=True, max_tokens=8000)
    async with http.stream("POST", "/v1/messages", json=body, headers=headers) as r:
        assert r.status_code == 200
        assert (await read_events(r))[-1][0] == "error"


async def failed_before_output(http: httpx.AsyncClient, key: str) -> None:
    """Upstream refuses at once: nothing charged, nothing to return."""
    headers = anthropic_headers(key, **{"x-fake-status": "529"})
    r = await http.post("/v1/messages", json=message_body(stream=True), headers=headers)
    assert r.status_code == 529


async def completed(http: httpx.AsyncClient, key: str, model: str = CLAUDE) -> None:
    r = await http.post("/v1/messages", json=message_body(model), headers=anthropic_headers(key))
    assert r.status_code == 200


async def records(ctx: AppContext) -> list[UsageRecord]:
    """Every usage record, once all of them are written (streams settle as they close)."""
    async with ctx.transaction() as session:
        stmt = select(UsageRecord).order_by(UsageRecord.created_at, UsageRecord.id)
        return list((await session.scalars(stmt)).all())


async def wait_for_records(ctx: AppContext, count: int) -> None:
    """Wait (bounded) until ``count`` usage records exist: streams settle as they close."""
    for _ in range(500):
        if len(await records(ctx)) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} usage records were written")


async def two_customers_with_a_failure_each(
    ctx: AppContext, http: httpx.AsyncClient
) -> tuple[str, str]:
    """alice@ and bob@ (1000 credits each): one message failed mid-stream on Anthropic and
    one completed, each."""
    alice = await customer(ctx, email="alice@example.com")
    bob = await customer(ctx, email="bob@example.com")
    for account in (alice, bob):
        key = await issue_key(ctx, account)
        await failed_mid_stream(http, key)
        await completed(http, key)
    await wait_for_records(ctx, 4)
    return alice, bob


async def audit_of(ctx: AppContext, action: str) -> list[AuditEntry]:
    async with ctx.transaction() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await session.scalars(stmt)).all())


def cli_env(ctx: AppContext, data_dir: Path) -> dict[str, str]:
    """The environment a command needs to work on ``ctx``'s database."""
    return {
        "CAICAINI_DATABASE_URL": ctx.settings.resolved_database_url,
        "CAICAINI_DATA_DIR": str(data_dir),
        "CAICAINI_ENV": "test",
        "CAICAINI_SECRET_KEY": TEST_SECRET,
        "CAICAINI_LOG_LEVEL": "WARNING",
    }


def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``caicaini ARGS``."""
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


__all__ = ["CLAUDE", "KIMI", "audit_of", "completed", "failed_before_output", "records"]

"""``caicaini users suspend|ban|reinstate|forfeit --email E --reason R`` through the real
command line: audited with the reason, the user e-mailed, keys refused at once (in another
process too, through Redis), credits forfeited through the ledger."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from caicaini.api_keys.broadcast import InvalidationChannel
from caicaini.api_keys.cache import KeyCache
from caicaini.api_keys.keyformat import key_hash as hash_key
from caicaini.context import AppContext
from caicaini.models.mail import OutboxEmail
from tests.api_keys.test_broadcast import REDIS_URL, require_redis
from tests.gateway.support import anthropic_headers, balance, customer, issue_key, message_body
from tests.incidents.support import audit_of, cli_env, run_cli

EMAIL = "mallory@example.com"


@pytest.fixture
def env(gctx: AppContext, tmp_path: Path) -> dict[str, str]:
    return cli_env(gctx, tmp_path)


async def mails_to(ctx: AppContext, address: str) -> list[OutboxEmail]:
    async with ctx.transaction() as session:
        stmt = select(OutboxEmail).where(OutboxEmail.to_address == address)
        return list((await session.scalars(stmt.order_by(OutboxEmail.created_at))).all())


async def call(http: httpx.AsyncClient, key: str) -> httpx.Response:
    return await http.post("/v1/messages", json=message_body(), headers=anthropic_headers(key))


async def test_suspend_then_reinstate_stops_and_restarts_keys_audited_and_mailed(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: object, env: dict[str, str]
) -> None:
    account = await customer(gctx, email=EMAIL)
    key = await issue_key(gctx, account)
    assert (await call(gclient, key)).status_code == 200  # the key is now in the cache

    code, out, _ = await asyncio.to_thread(
        run_cli,
        env,
        "users",
        "suspend",
        "--email",
        "Mallory@Example.com",
        "--reason",
        "card test",
    )
    assert (code, out) == (0, f"{EMAIL} is now suspended\n")
    refused = await call(gclient, key)
    assert refused.status_code == 403 and "suspended" in refused.text
    [mail] = await mails_to(gctx, EMAIL)
    assert "suspended" in mail.subject and "Reason: card test" in mail.body_text

    code, out, _ = await asyncio.to_thread(
        run_cli, env, "users", "reinstate", "--email", EMAIL, "--reason", "appeal upheld"
    )
    assert (code, out) == (0, f"{EMAIL} is now active\n")
    assert (await call(gclient, key)).status_code == 200

    changes = await audit_of(gctx, "account.status_changed")
    assert [(e.details["to"], e.details["reason"], e.actor_kind) for e in changes] == [
        ("suspended", "card test", "operator"),
        ("active", "appeal upheld", "operator"),
    ]
    assert len(await mails_to(gctx, EMAIL)) == 2


async def test_ban_is_refused_without_a_reason_or_for_an_unknown_address(
    gctx: AppContext, env: dict[str, str]
) -> None:
    await customer(gctx, email=EMAIL)
    code, out, err = await asyncio.to_thread(
        run_cli, env, "users", "ban", "--email", EMAIL, "--reason", "  "
    )
    assert (code, out) == (1, "") and "give a reason" in err
    code, _, err = await asyncio.to_thread(
        run_cli, env, "users", "ban", "--email", "nobody@example.com", "--reason", "x"
    )
    assert code == 1 and "no account with e-mail nobody@example.com" in err
    assert await audit_of(gctx, "account.status_changed") == []
    code, out, _ = await asyncio.to_thread(
        run_cli, env, "users", "ban", "--email", EMAIL, "--reason", "ban evasion"
    )
    assert (code, out) == (0, f"{EMAIL} is now banned\n")
    [entry] = await audit_of(gctx, "account.status_changed")
    assert entry.details["reason"] == "ban evasion"


async def test_forfeit_removes_every_unspent_credit_audited_and_mailed(
    gctx: AppContext, env: dict[str, str]
) -> None:
    account = await customer(gctx, email=EMAIL, credits=750)
    code, out, _ = await asyncio.to_thread(
        run_cli, env, "users", "forfeit", "--email", EMAIL, "--reason", "chargeback fraud"
    )
    assert (code, out) == (0, f"750 credits of {EMAIL} forfeited\n")
    assert await balance(gctx, account) == 0
    [entry] = await audit_of(gctx, "credits.forfeited")
    assert entry.details == {"credits": 750, "reason": "chargeback fraud"}
    assert entry.actor_kind == "operator" and entry.subject_account_id == account
    [mail] = await mails_to(gctx, EMAIL)
    assert "750 unspent credits" in mail.body_text and "chargeback fraud" in mail.body_text


async def test_a_suspension_from_the_command_line_reaches_other_processes_through_redis(
    gctx: AppContext, env: dict[str, str]
) -> None:
    """The command runs in its own process; this process's key cache (600 s TTL, so only the
    message can evict it) stands for a server's."""
    await require_redis()
    account = await customer(gctx, email=EMAIL)
    key = await issue_key(gctx, account)
    cache = KeyCache(ttl=600)
    cache.put(hash_key(key), None)
    listener = InvalidationChannel(REDIS_URL)
    await listener.start(listen=True)
    try:
        await asyncio.wait_for(listener.listening.wait(), 10)
        caicaini = str(Path(sys.executable).parent / "caicaini")
        done = await asyncio.to_thread(
            subprocess.run,
            [caicaini, "users", "suspend", "--email", EMAIL, "--reason", "leaked key abuse"],
            env={**os.environ, **env, "CAICAINI_REDIS_URL": REDIS_URL},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        for _ in range(400):
            if cache.get(hash_key(key)) == (False, None):
                break
            await asyncio.sleep(0.025)
        assert cache.get(hash_key(key)) == (False, None)
    finally:
        await listener.aclose()

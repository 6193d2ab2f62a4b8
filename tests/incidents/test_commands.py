"""``caicaini incidents declare`` and ``incidents reconcile [--dry-run]`` through the real
command line, against gateway traffic the fake upstream made fail."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import CLAUDE, RATES, balance, customer, issue_key
from tests.incidents.support import audit_of, cli_env, failed_mid_stream, records, run_cli


@pytest.fixture
def env(gctx: AppContext, tmp_path: Path) -> dict[str, str]:
    return cli_env(gctx, tmp_path)


async def test_declare_prints_the_id_and_reconcile_returns_credits_once(
    gctx: AppContext,
    gclient: httpx.AsyncClient,
    fake: FakeScript,
    clock: FrozenClock,
    env: dict[str, str],
) -> None:
    account = await customer(gctx, email="ada@example.com")
    await failed_mid_stream(gclient, await issue_key(gctx, account))
    for _ in range(500):
        if await records(gctx):
            break
        await asyncio.sleep(0.01)
    assert await balance(gctx, account) == 1000 - RATES[CLAUDE]

    # The records are stamped by the test's frozen clock (26 Nov 2026 12:00 UTC).
    code, out, _ = await asyncio.to_thread(
        run_cli, env, "incidents", "declare", "--provider", "anthropic",
        "--start", "2026-11-26T11:30Z", "--end", "2026-11-26T12:30:00+00:00",
        "--title", "Anthropic 529s",
    )  # fmt: skip
    assert code == 0
    incident_id = out.strip()
    assert incident_id.startswith("inc_") and "\n" not in incident_id
    [declared] = await audit_of(gctx, "incident.declared")
    assert declared.target_id == incident_id and declared.actor_kind == "operator"

    code, out, _ = await asyncio.to_thread(
        run_cli, env, "incidents", "reconcile", incident_id, "--dry-run"
    )
    assert code == 0
    assert "ada@example.com\t1 message(s)\t3 credits" in out
    assert "would return 3 credits for 1 message(s) to 1 account(s)" in out
    assert await balance(gctx, account) == 1000 - RATES[CLAUDE]

    code, out, _ = await asyncio.to_thread(run_cli, env, "incidents", "reconcile", incident_id)
    assert (code, out.splitlines()[-1]) == (
        0,
        "returned 3 credits for 1 message(s) to 1 account(s)",
    )
    assert await balance(gctx, account) == 1000

    code, out, _ = await asyncio.to_thread(run_cli, env, "incidents", "reconcile", incident_id)
    assert (code, out) == (0, "returned 0 credits for 0 message(s) to 0 account(s)\n")
    assert await balance(gctx, account) == 1000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "openrouter", "--start", "2026-11-26T11:00Z"], "unknown provider"),
        (["--provider", "anthropic", "--start", "yesterday"], "--start must be an ISO time"),
        (
            [
                "--provider",
                "anthropic",
                "--start",
                "2026-11-26T11:00Z",
                "--end",
                "2026-11-26T10:00Z",
            ],
            "must end after it starts",
        ),
        (["--provider", "anthropic", "--start", "2999-01-01T00:00Z"], "cannot start in the future"),
    ],
)
async def test_declare_refuses_bad_input_with_a_clear_message(
    gctx: AppContext, env: dict[str, str], args: list[str], message: str
) -> None:
    code, out, err = await asyncio.to_thread(
        run_cli, env, "incidents", "declare", *args, "--title", "x"
    )
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert await audit_of(gctx, "incident.declared") == []


async def test_reconciling_an_unknown_incident_fails_cleanly(
    gctx: AppContext, env: dict[str, str]
) -> None:
    code, _, err = await asyncio.to_thread(run_cli, env, "incidents", "reconcile", "inc_missing")
    assert code == 1 and "no incident 'inc_missing'" in err

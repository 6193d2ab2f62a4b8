"""Property: whatever sequence of grants, holds, settlements, releases, expiries and
forfeitures happens, the books balance (every invariant of ``verify_ledger`` holds), a hold
succeeds exactly when the balance covers it, and replaying any operation changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from caicaini.context import AppContext
from caicaini.errors import InsufficientCredits
from caicaini.kit.clock import FrozenClock, start_of_next_month
from caicaini.ledger.errors import HoldAlreadyResolved
from caicaini.ledger.service import LedgerService
from caicaini.ledger.verify import verify_ledger
from caicaini.models.ledger import LedgerEntry
from tests.ledger.support import make_account

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("grant"),
            st.sampled_from(["subscription", "topup", "promotional"]),
            st.integers(1, 300),
        ),
        st.tuples(st.just("hold"), st.integers(1, 400)),
        st.tuples(st.just("settle"), st.integers(0, 20), st.integers(0, 500)),
        st.tuples(st.just("release"), st.integers(0, 20)),
        st.tuples(st.just("expire"), st.integers(1, 40)),
        st.tuples(st.just("forfeit")),
        st.tuples(st.just("replay"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=25,
)


async def _snapshot(ctx: AppContext, account: str) -> tuple[int, int]:
    async with ctx.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(LedgerEntry))
        bal = await LedgerService(session, ctx.clock).balance(account)
    return bal, int(count or 0)


async def _apply(
    ctx: AppContext, account: str, op: tuple[Any, ...], n: int, *, replay: bool = False
) -> bool:
    """Apply one operation; False when it was refused (so it has nothing to replay)."""
    async with ctx.transaction() as session:
        ledger = LedgerService(session, ctx.clock)
        kind = op[0]
        if kind == "grant":
            expires = None if op[1] == "topup" else start_of_next_month(ctx.clock.now())
            await ledger.grant(
                account, op[2], op[1], idempotency_key=f"{account}:g{n}", expires_at=expires
            )
        elif kind == "hold":
            before = await ledger.balance(account)
            try:
                await ledger.hold(account, request_id=f"{account}:r{n}", amount=op[1])
            except InsufficientCredits:
                assert before < op[1]
                return False
            if not replay:
                assert await ledger.balance(account) == before - op[1]
        elif kind == "settle":
            try:
                await ledger.settle(f"{account}:r{op[1]}", op[2])
            except (HoldAlreadyResolved, LookupError):
                pass
            except Exception as exc:  # NotFound for unknown request ids
                assert getattr(exc, "code", "") == "hold_not_found"
        elif kind == "release":
            try:
                await ledger.release(f"{account}:r{op[1]}", reason="test")
            except Exception as exc:
                assert getattr(exc, "code", "") == "hold_not_found"
        elif kind == "expire":
            assert isinstance(ctx.clock, FrozenClock)
            ctx.clock.advance(timedelta(days=op[1]))
            await ledger.expire_due(account)
        elif kind == "forfeit":
            await ledger.forfeit_all(account, reason="test", idempotency_key=f"{account}:f{n}")
    return True


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=ops)
async def test_the_books_always_balance_and_replays_change_nothing(
    ctx: AppContext, sequence: list[tuple[Any, ...]]
) -> None:
    if not ctx.db.is_sqlite:
        pytest.skip("property runs on SQLite (fast); PostgreSQL has the worked examples")
    account = await make_account(ctx)
    done: list[tuple[tuple[Any, ...], int]] = []
    for n, op in enumerate(sequence):
        if op[0] == "replay":
            if not done or done[op[1] % len(done)][0][0] == "expire":
                continue
            before = await _snapshot(ctx, account)
            original, m = done[op[1] % len(done)]
            await _apply(ctx, account, original, m, replay=True)
            assert await _snapshot(ctx, account) == before
            continue
        if await _apply(ctx, account, op, n):
            done.append((op, n))
        async with ctx.transaction() as session:
            problems = await verify_ledger(session, ctx.clock.now())
            assert problems == []
            assert await LedgerService(session, ctx.clock).balance(account) >= 0

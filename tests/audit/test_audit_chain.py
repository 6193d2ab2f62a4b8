"""The audit log is a hash chain: it verifies when untouched, and any edit is detected."""

from datetime import timedelta

from sqlalchemy import text

from caicaini.audit.service import Actor, AuditService
from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock


async def _write_three(ctx: AppContext) -> None:
    async with ctx.transaction() as session:
        audit = AuditService(session, ctx.clock)
        for n in range(3):
            await audit.record(
                "account.example",
                actor=Actor("user", "acct_1", ip="198.51.100.9"),
                target_type="account",
                target_id="acct_1",
                subject_account_id="acct_1",
                details={"n": n},
                personal={"email": "someone@example.com"},
            )


async def test_untouched_chain_verifies(ctx: AppContext) -> None:
    await _write_three(ctx)
    async with ctx.transaction() as session:
        assert await AuditService(session, ctx.clock).verify() == []


async def test_editing_a_row_breaks_verification(ctx: AppContext) -> None:
    await _write_three(ctx)
    async with ctx.transaction() as session:
        await session.execute(text("UPDATE audit_log SET action = 'account.innocent' WHERE id = 2"))
    async with ctx.transaction() as session:
        problems = await AuditService(session, ctx.clock).verify()
    assert any("row 2" in p for p in problems)


async def test_deleting_a_row_breaks_verification(ctx: AppContext) -> None:
    await _write_three(ctx)
    async with ctx.transaction() as session:
        await session.execute(text("DELETE FROM audit_log WHERE id = 2"))
    async with ctx.transaction() as session:
        assert (
            "row 3: does not follow the previous row"
            in await AuditService(session, ctx.clock).verify()
        )


async def test_retention_erases_personal_fields_and_chain_still_verifies(
    ctx: AppContext, clock: FrozenClock
) -> None:
    await _write_three(ctx)
    async with ctx.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO accounts (id, email, password_hash, date_of_birth, country, status,"
                " is_operator, session_version, created_at, closed_at)"
                " VALUES ('acct_1', 'someone@example.com', 'x', '1990-01-01', 'DE', 'closed',"
                " false, 1, :at, :at)"
            ),
            {"at": clock.now().replace(tzinfo=None)},
        )
    clock.advance(timedelta(days=366))
    async with ctx.transaction() as session:
        erased = await AuditService(session, ctx.clock).anonymise_closed_accounts(
            timedelta(days=365)
        )
    assert erased == 3
    async with ctx.transaction() as session:
        audit = AuditService(session, ctx.clock)
        assert await audit.verify() == []
        rows = await audit.history(subject_account_id="acct_1")
    assert all(r.ip is None and r.personal is None for r in rows)

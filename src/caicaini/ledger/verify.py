"""``caicaini ledger verify``: check every invariant of the ledger and name each break.

1. No grant's ``remaining`` is negative or above its ``amount``.
2. Every grant has exactly one ``grant`` entry, equal to its ``amount``.
3. For every grant, Σ of its entries = ``remaining`` (amount + movements = remaining).
4. A grant that is expired, forfeited or reversed has nothing left.
5. Each account's balance = Σ remaining of its live grants = Σ entries of those grants.
6. Holds are consistent: their allocations sum to the hold; the hold entries moved exactly
   that out; a settled hold returned ``amount - charged``; a released one returned all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.ledger import Grant, Hold, HoldAllocation, LedgerEntry

RETURN_KINDS = ("settle", "refund", "release")


async def verify_ledger(session: AsyncSession, now: datetime) -> list[str]:
    problems: list[str] = []
    problems += await _grants(session)
    problems += await _balances(session, now)
    problems += await _holds(session)
    return problems


async def _grants(session: AsyncSession) -> list[str]:
    problems: list[str] = []
    sums = (
        select(
            LedgerEntry.grant_id.label("grant_id"),
            func.sum(LedgerEntry.amount).label("total"),
            func.sum(case((LedgerEntry.kind == "grant", 1), else_=0)).label("issues"),
            func.sum(case((LedgerEntry.kind == "grant", LedgerEntry.amount), else_=0)).label(
                "issued"
            ),
        )
        .where(LedgerEntry.grant_id.is_not(None))
        .group_by(LedgerEntry.grant_id)
        .subquery()
    )
    stmt = select(
        Grant.id,
        Grant.amount,
        Grant.remaining,
        Grant.status,
        sums.c.total,
        sums.c.issues,
        sums.c.issued,
    ).outerjoin(sums, sums.c.grant_id == Grant.id)
    for gid, amount, remaining, status, total, issues, issued in (
        await session.execute(stmt)
    ).all():
        if remaining < 0 or remaining > amount:
            problems.append(f"grant {gid}: remaining {remaining} outside 0..{amount}")
        if (issues or 0) != 1 or (issued or 0) != amount:
            problems.append(f"grant {gid}: its grant entry does not equal its amount {amount}")
        if (total or 0) != remaining:
            problems.append(
                f"grant {gid}: amount + entries = {total or 0} but remaining is {remaining}"
            )
        if status != "active" and remaining != 0:
            problems.append(f"grant {gid}: {status} but {remaining} credits remain")
    return problems


async def _balances(session: AsyncSession, now: datetime) -> list[str]:
    live = (Grant.status == "active") & ((Grant.expires_at.is_(None)) | (Grant.expires_at > now))
    by_rows = dict(
        (
            await session.execute(
                select(Grant.account_id, func.sum(Grant.remaining))
                .where(live)
                .group_by(Grant.account_id)
            )
        ).all()
    )
    by_entries = dict(
        (
            await session.execute(
                select(Grant.account_id, func.sum(LedgerEntry.amount))
                .join(LedgerEntry, LedgerEntry.grant_id == Grant.id)
                .where(live)
                .group_by(Grant.account_id)
            )
        ).all()
    )
    return [
        f"account {account}: balance {by_rows.get(account, 0)} but its entries sum to "
        f"{by_entries.get(account, 0)}"
        for account in sorted(set(by_rows) | set(by_entries))
        if (by_rows.get(account) or 0) != (by_entries.get(account) or 0)
    ]


async def _holds(session: AsyncSession) -> list[str]:
    problems: list[str] = []
    allocated = (
        select(
            HoldAllocation.hold_id.label("hold_id"),
            func.sum(HoldAllocation.amount).label("amount"),
            func.sum(HoldAllocation.charged).label("charged"),
        )
        .group_by(HoldAllocation.hold_id)
        .subquery()
    )
    moved = (
        select(
            LedgerEntry.hold_id.label("hold_id"),
            func.sum(case((LedgerEntry.kind == "hold", LedgerEntry.amount), else_=0)).label("out"),
            func.sum(case((LedgerEntry.kind.in_(RETURN_KINDS), LedgerEntry.amount), else_=0)).label(
                "back"
            ),
        )
        .where(LedgerEntry.hold_id.is_not(None))
        .group_by(LedgerEntry.hold_id)
        .subquery()
    )
    stmt = (
        select(
            Hold.id,
            Hold.status,
            Hold.amount,
            Hold.charged,
            allocated.c.amount,
            allocated.c.charged,
            moved.c.out,
            moved.c.back,
        )
        .outerjoin(allocated, allocated.c.hold_id == Hold.id)
        .outerjoin(moved, moved.c.hold_id == Hold.id)
    )
    for hid, status, amount, charged, alloc, alloc_charged, out, back in (
        await session.execute(stmt)
    ).all():
        if (alloc or 0) != amount:
            problems.append(f"hold {hid}: allocations sum to {alloc or 0}, not {amount}")
        if -(out or 0) != amount:
            problems.append(f"hold {hid}: hold entries moved {-(out or 0)}, not {amount}")
        expected_back = {"held": 0, "settled": amount - charged, "released": amount}[status]
        if (back or 0) != expected_back:
            problems.append(f"hold {hid}: {status} but {back or 0} came back, not {expected_back}")
        if (alloc_charged or 0) != charged:
            problems.append(
                f"hold {hid}: charged {charged} but allocations say {alloc_charged or 0}"
            )
    return problems

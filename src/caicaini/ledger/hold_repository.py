"""SQL of the ledger's hot path (hold, settle, release): SQLAlchemy Core statements built once
at import, run on a synchronous ``Connection`` (the session's, through ``run_sync``, or the
gateway's SQLite writer thread's), no ORM unit of work and no identity map.

Locking is the same as ``LedgerRepository``'s: on PostgreSQL the account row first, then its
grants ``ORDER BY id``; on SQLite ``BEGIN IMMEDIATE`` already serialises writers (the
``FOR UPDATE`` clauses compile to nothing there). Grants change by relative updates
(``remaining = remaining + :delta``), so the database's CHECK constraints stay the last word
on "never negative".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from caicaini.ledger import fast_sqlite
from caicaini.ledger.views import Hold
from caicaini.models.accounts import Account
from caicaini.models.base import UTCDateTime
from caicaini.models.ledger import Grant, HoldAllocation, LedgerEntry
from caicaini.models.ledger import Hold as HoldRow

grants_t = cast(Table, Grant.__table__)
holds_t = cast(Table, HoldRow.__table__)
allocations_t = cast(Table, HoldAllocation.__table__)
entries_t = cast(Table, LedgerEntry.__table__)
accounts_t = cast(Table, Account.__table__)


@dataclass(slots=True)
class GrantState:
    id: str
    kind: str
    status: str
    remaining: int
    issued_at: datetime
    expires_at: datetime | None


@dataclass(slots=True)
class HeldRow:
    id: str
    account_id: str
    status: str
    amount: int
    charged: int
    allocations: list[tuple[str, int, int]]  # (grant id, amount, charged), in the order taken


_GRANT_COLUMNS = (
    grants_t.c.id,
    grants_t.c.kind,
    grants_t.c.status,
    grants_t.c.remaining,
    grants_t.c.issued_at,
    grants_t.c.expires_at,
)
# One round trip locks the account row (a sub-select with FOR UPDATE, evaluated before the
# grants are scanned) and then the account's grants in id order: the same lock order as
# LedgerRepository.lock_account, so the ORM and Core paths queue behind each other.
_LOCKED_ACCOUNT = (
    select(accounts_t.c.id)
    .where(accounts_t.c.id == bindparam("account_id"))
    .with_for_update()
    .scalar_subquery()
)
_LOCKED_ACCOUNT_OF_HOLD = (
    select(accounts_t.c.id)
    .where(
        accounts_t.c.id
        == select(holds_t.c.account_id)
        .where(holds_t.c.request_id == bindparam("request_id"))
        .scalar_subquery()
    )
    .with_for_update()
    .scalar_subquery()
)
_GRANTS = (
    select(*_GRANT_COLUMNS)
    .where(grants_t.c.account_id == _LOCKED_ACCOUNT)
    .order_by(grants_t.c.id)
    .with_for_update(of=grants_t)
)
_GRANTS_OF_HOLD = (
    select(*_GRANT_COLUMNS)
    .where(grants_t.c.account_id == _LOCKED_ACCOUNT_OF_HOLD)
    .order_by(grants_t.c.id)
    .with_for_update(of=grants_t)
)
_HOLD_WITH_ALLOCATIONS = (
    select(
        holds_t.c.id,
        holds_t.c.account_id,
        holds_t.c.status,
        holds_t.c.amount,
        holds_t.c.charged,
        allocations_t.c.grant_id,
        allocations_t.c.amount,
        allocations_t.c.charged,
    )
    .select_from(
        holds_t.outerjoin(allocations_t, allocations_t.c.hold_id == holds_t.c.id),
    )
    .where(holds_t.c.request_id == bindparam("request_id"))
    .order_by(allocations_t.c.position)
    .with_for_update(of=holds_t)
)
_HOLD_VIEW = select(
    holds_t.c.id,
    holds_t.c.request_id,
    holds_t.c.account_id,
    holds_t.c.amount,
    holds_t.c.status,
    holds_t.c.expires_at,
    holds_t.c.started_at,
    holds_t.c.charged,
).where(holds_t.c.request_id == bindparam("request_id"))
_ALLOCATIONS = (
    select(allocations_t.c.grant_id, allocations_t.c.amount)
    .where(allocations_t.c.hold_id == bindparam("hold_id"))
    .order_by(allocations_t.c.position)
)
# SQLite: one statement per write (PostgreSQL's single statements are below). No RETURNING:
# the row count says whether the hold went in, and a plain INSERT takes the writer's fast path.
_INSERT_HOLD = sqlite.insert(holds_t).on_conflict_do_nothing(index_elements=["request_id"])
_INSERT_ALLOCATIONS = insert(allocations_t)
_INSERT_ENTRIES = insert(entries_t)
_MOVE_GRANT = (
    update(grants_t)
    .where(grants_t.c.id == bindparam("grant_id"))
    .values(remaining=grants_t.c.remaining + bindparam("delta"))
)
_CHARGE_ALLOCATION = (
    update(allocations_t)
    .where(
        and_(
            allocations_t.c.hold_id == bindparam("p_hold_id"),
            allocations_t.c.grant_id == bindparam("p_grant_id"),
        )
    )
    .values(charged=bindparam("p_charged"))
)
_RESOLVE_HOLD = (
    update(holds_t)
    .where(and_(holds_t.c.id == bindparam("hold_id"), holds_t.c.status == "held"))
    .values(
        status=bindparam("p_status"),
        charged=bindparam("p_charged"),
        resolved_at=bindparam("p_resolved_at"),
        resolution=bindparam("p_resolution"),
    )
)
_BALANCE = select(func.coalesce(func.sum(grants_t.c.remaining), 0)).where(
    grants_t.c.account_id == bindparam("account_id"),
    grants_t.c.status == "active",
    or_(grants_t.c.expires_at.is_(None), grants_t.c.expires_at > bindparam("now")),
)


# PostgreSQL: each transaction's writes go out as one statement (data-modifying CTEs over
# arrays), so a hold costs one round trip for its four writes and a settlement one for its
# four; every round trip is ~0.3 ms of a gateway's CPU and more of its latency. Rows are the
# same as the one-statement-per-write path SQLite takes; no row is modified twice in one
# statement (one update per grant, allocation and hold).
_PG_PLACE_HOLD = text("""
WITH h AS (
    INSERT INTO holds (id, request_id, account_id, key_id, purpose, status, amount, charged,
                       unit_credits, created_at, expires_at)
    VALUES (:hold_id, :request_id, :account_id, :key_id, :purpose, 'held', :amount, 0,
            :unit_credits, :now, :expires_at)
    ON CONFLICT (request_id) DO NOTHING
    RETURNING id
), a AS (
    INSERT INTO hold_allocations (hold_id, grant_id, position, amount, charged)
    SELECT h.id, t.grant_id, t.position - 1, t.amount, 0
    FROM h, unnest(CAST(:a_grants AS varchar[]), CAST(:a_amounts AS integer[]))
            WITH ORDINALITY AS t(grant_id, amount, position)
), e AS (
    INSERT INTO ledger_entries (account_id, grant_id, hold_id, kind, amount, charged,
                                idempotency_key, operation_key, request_id, reason, created_at)
    SELECT :account_id, e.grant_id, h.id, e.kind, e.amount, e.charged, e.key, :op,
           :request_id, e.reason, CAST(:now AS timestamptz)
    FROM h, unnest(CAST(:e_grants AS varchar[]), CAST(:e_kinds AS varchar[]),
                CAST(:e_amounts AS integer[]), CAST(:e_charged AS integer[]),
                CAST(:e_keys AS varchar[]), CAST(:e_reasons AS varchar[]))
         AS e(grant_id, kind, amount, charged, key, reason)
), g AS (
    UPDATE grants SET remaining = grants.remaining + g.delta
    FROM h, unnest(CAST(:g_ids AS varchar[]), CAST(:g_deltas AS integer[])) AS g(id, delta)
    WHERE grants.id = g.id
)
SELECT id FROM h
""").bindparams(bindparam("now", type_=UTCDateTime()), bindparam("expires_at", type_=UTCDateTime()))
_PG_SETTLE = text("""
WITH e AS (
    INSERT INTO ledger_entries (account_id, grant_id, hold_id, kind, amount, charged,
                                idempotency_key, operation_key, request_id, reason, created_at)
    SELECT :account_id, e.grant_id, :hold_id, e.kind, e.amount, e.charged, e.key, :op,
           :request_id, e.reason, CAST(:now AS timestamptz)
    FROM unnest(CAST(:e_grants AS varchar[]), CAST(:e_kinds AS varchar[]),
                CAST(:e_amounts AS integer[]), CAST(:e_charged AS integer[]),
                CAST(:e_keys AS varchar[]), CAST(:e_reasons AS varchar[]))
         AS e(grant_id, kind, amount, charged, key, reason)
), g AS (
    UPDATE grants SET remaining = grants.remaining + g.delta
    FROM unnest(CAST(:g_ids AS varchar[]), CAST(:g_deltas AS integer[])) AS g(id, delta)
    WHERE grants.id = g.id
), a AS (
    UPDATE hold_allocations SET charged = t.charged
    FROM unnest(CAST(:c_grants AS varchar[]), CAST(:c_charged AS integer[]))
         AS t(grant_id, charged)
    WHERE hold_allocations.hold_id = :hold_id AND hold_allocations.grant_id = t.grant_id
)
UPDATE holds SET status = :p_status, charged = :p_charged,
                 resolved_at = CAST(:now AS timestamptz), resolution = :p_resolution
WHERE holds.id = :hold_id AND holds.status = 'held'
""").bindparams(bindparam("now", type_=UTCDateTime()))


def _entry_arrays(entries: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        "e_grants": [e["grant_id"] for e in entries],
        "e_kinds": [e["kind"] for e in entries],
        "e_amounts": [e["amount"] for e in entries],
        "e_charged": [e["charged"] for e in entries],
        "e_keys": [e["idempotency_key"] for e in entries],
        "e_reasons": [e["reason"] for e in entries],
    }


def _delta_arrays(deltas: Sequence[tuple[str, int]]) -> dict[str, list[Any]]:
    moved = sorted((g, d) for g, d in deltas if d)
    return {"g_ids": [g for g, _ in moved], "g_deltas": [d for _, d in moved]}


class HoldRepository:
    """Core SQL for holds: the locking reads are one statement each; a hold's or a
    settlement's writes are one statement on PostgreSQL, one per row on SQLite (local, no
    round trip to save, and the writer's fast path takes plain INSERT/UPDATEs)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def lock_grants(self, account_id: str) -> list[GrantState]:
        """Lock the account (PostgreSQL) and return its grants, locked, by id."""
        rows = fast_sqlite.rows(self.conn, _GRANTS, {"account_id": account_id})
        return [GrantState(*row) for row in rows]

    def lock_hold(self, request_id: str) -> tuple[HeldRow | None, list[GrantState]]:
        """Lock the hold's account and its grants (PostgreSQL); the hold with its allocations
        and the account's grants."""
        params = {"request_id": request_id}
        grants = [GrantState(*row) for row in fast_sqlite.rows(self.conn, _GRANTS_OF_HOLD, params)]
        rows = fast_sqlite.rows(self.conn, _HOLD_WITH_ALLOCATIONS, params)
        if not rows:
            return None, grants
        first = rows[0]
        allocations = [(r[5], r[6], r[7]) for r in rows if r[5] is not None]
        held = HeldRow(first[0], first[1], first[2], first[3], first[4], allocations)
        return held, grants

    def hold_view(self, request_id: str) -> Hold | None:
        """The hold as the ledger hands it out (a replay)."""
        row = self.conn.execute(_HOLD_VIEW, {"request_id": request_id}).first()
        if row is None:
            return None
        allocations = self.conn.execute(_ALLOCATIONS, {"hold_id": row[0]}).all()
        return Hold(*row, allocations=[(g, a) for g, a in allocations])

    def place(
        self,
        hold: dict[str, Any],
        allocations: Sequence[dict[str, Any]],
        entries: Sequence[dict[str, Any]],
        deltas: Sequence[tuple[str, int]],
    ) -> bool:
        """Insert the hold, its allocations and ledger entries and move its grants; False (and
        nothing written) when the hold's request id is taken."""
        if self.dialect != "postgresql":
            if not self._insert_hold(hold):
                return False
            self._insert_allocations(allocations)
            self._insert_entries(entries)
            self._move_grants(deltas)
            return True
        ordered = sorted(allocations, key=lambda a: a["position"])
        params = {
            "hold_id": hold["id"],
            "request_id": hold["request_id"],
            "account_id": hold["account_id"],
            "key_id": hold["key_id"],
            "purpose": hold["purpose"],
            "amount": hold["amount"],
            "unit_credits": hold["unit_credits"],
            "now": hold["created_at"],
            "expires_at": hold["expires_at"],
            "op": entries[0]["operation_key"],
            "a_grants": [a["grant_id"] for a in ordered],
            "a_amounts": [a["amount"] for a in ordered],
            **_entry_arrays(entries),
            **_delta_arrays(deltas),
        }
        return self.conn.execute(_PG_PLACE_HOLD, params).first() is not None

    def apply_settlement(
        self,
        held: HeldRow,
        entries: Sequence[dict[str, Any]],
        deltas: Sequence[tuple[str, int]],
        charges: Sequence[tuple[str, int]],
        *,
        status: str,
        charged: int,
        at: datetime,
        resolution: str,
    ) -> None:
        """A settlement's (or release's) writes: its ledger entries, the grants' moves, what
        each allocation was charged, and the hold resolved."""
        if self.dialect != "postgresql":
            self._insert_entries(entries)
            self._move_grants(deltas)
            self._charge_allocations(held.id, charges)
            self._resolve(held.id, status=status, charged=charged, at=at, resolution=resolution)
            return
        first = entries[0] if entries else {}
        params = {
            "hold_id": held.id,
            "account_id": held.account_id,
            "op": first.get("operation_key"),
            "request_id": first.get("request_id"),
            "now": at,
            **_entry_arrays(entries),
            **_delta_arrays(deltas),
            "c_grants": [g for g, c in charges if c],
            "c_charged": [c for _, c in charges if c],
            "p_status": status,
            "p_charged": charged,
            "p_resolution": resolution[:200],
        }
        self.conn.execute(_PG_SETTLE, params)

    def _insert_hold(self, values: dict[str, Any]) -> bool:
        """Insert the hold unless its request id is taken; False when it was."""
        return fast_sqlite.execute(self.conn, _INSERT_HOLD, values) == 1

    def _insert_allocations(self, rows: Sequence[dict[str, Any]]) -> None:
        self._execute(_INSERT_ALLOCATIONS, rows)

    def _insert_entries(self, rows: Sequence[dict[str, Any]]) -> None:
        self._execute(_INSERT_ENTRIES, rows)

    def _execute(self, stmt: Any, rows: Sequence[dict[str, Any]]) -> None:
        """One row as a plain execute (the common case; cheaper than executemany)."""
        if len(rows) == 1:
            fast_sqlite.execute(self.conn, stmt, rows[0])
        elif rows:
            self.conn.execute(stmt, list(rows))

    def _move_grants(self, deltas: Sequence[tuple[str, int]]) -> None:
        """``remaining += delta`` per grant, in grant id order (the lock order)."""
        self._execute(_MOVE_GRANT, [{"grant_id": g, "delta": d} for g, d in sorted(deltas) if d])

    def _charge_allocations(self, hold_id: str, charges: Sequence[tuple[str, int]]) -> None:
        params = [{"p_hold_id": hold_id, "p_grant_id": g, "p_charged": c} for g, c in charges if c]
        self._execute(_CHARGE_ALLOCATION, params)

    def _resolve(
        self, hold_id: str, *, status: str, charged: int, at: datetime, resolution: str
    ) -> None:
        params = {
            "hold_id": hold_id,
            "p_status": status,
            "p_charged": charged,
            "p_resolved_at": at,
            "p_resolution": resolution[:200],
        }
        fast_sqlite.execute(self.conn, _RESOLVE_HOLD, params)

    def balance(self, account_id: str, now: datetime) -> int:
        result = self.conn.execute(_BALANCE, {"account_id": account_id, "now": now})
        return int(result.scalar_one())

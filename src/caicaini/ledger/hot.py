"""The ledger's hot path as plain functions over a synchronous ``Connection``: hold, settle
and release, in as few statements as the books allow.

``LedgerService`` runs them on its session's connection (``run_sync``; one transaction with
whatever else the caller does). The gateway on SQLite runs them in its writer thread
(``caicaini.gateway.writer``): one thread hop per transaction instead of one per statement.
The rules are the service's (see ``caicaini.ledger.service``): all or nothing, consumption
order, one append-only entry per grant and movement with a unique idempotency key, credits
returned to a grant no longer live leave again at once, nothing costs more than its hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from caicaini.errors import InsufficientCredits, InvalidInput
from caicaini.kit.ids import new_id
from caicaini.ledger import rules
from caicaini.ledger.errors import HoldAlreadyResolved, HoldNotFound
from caicaini.ledger.hold_repository import GrantState, HoldRepository
from caicaini.ledger.views import Hold, Settlement
from caicaini.logs import get_logger

log = get_logger(__name__)


def place_hold(
    conn: Connection,
    *,
    now: datetime,
    account_id: str,
    request_id: str,
    amount: int,
    ttl_seconds: int = 900,
    key_id: str | None = None,
    unit_credits: int | None = None,
) -> Hold:
    """Reserve ``amount`` in consumption order, all or nothing; a replay returns the hold."""
    sql = HoldRepository(conn)
    grants = sql.lock_grants(account_id)
    live = rules.consumption_order(g for g in grants if rules.is_live(g, now))
    taken = rules.split(live, amount)
    if taken is None:
        existing = sql.hold_view(request_id)
        if existing is not None:
            return _replayed(existing, account_id)
        available = sum(g.remaining for g in live)
        raise InsufficientCredits(
            f"this request may cost up to {amount} credits; the balance is {available}",
            details={"required": amount, "available": available},
        )
    hold_id = new_id("hold")
    expires_at = now + timedelta(seconds=ttl_seconds)
    op = f"hold:{request_id}"
    placed = sql.place(
        {
            "id": hold_id,
            "request_id": request_id,
            "account_id": account_id,
            "key_id": key_id,
            "purpose": "request",
            "status": "held",
            "amount": amount,
            "charged": 0,
            "unit_credits": unit_credits,
            "created_at": now,
            "expires_at": expires_at,
        },
        allocations=[
            {"hold_id": hold_id, "grant_id": g.id, "position": n, "amount": part, "charged": 0}
            for n, (g, part) in enumerate(taken)
        ],
        entries=[
            entry_row(account_id, g.id, "hold", -part, f"{op}:{g.id}", op, hold_id, request_id, now)
            for g, part in taken
        ],
        deltas=[(g.id, -part) for g, part in taken],
    )
    if not placed:  # the request id is taken: a replay
        existing = sql.hold_view(request_id)
        assert existing is not None
        return _replayed(existing, account_id)
    return Hold(
        id=hold_id,
        request_id=request_id,
        account_id=account_id,
        amount=amount,
        status="held",
        expires_at=expires_at,
        started_at=None,
        charged=0,
        allocations=[(g.id, part) for g, part in taken],
    )


def _replayed(hold: Hold, account_id: str) -> Hold:
    if hold.account_id != account_id:
        raise InvalidInput("request id already used by another account", field="request_id")
    return hold


def settle_hold(
    conn: Connection,
    *,
    now: datetime,
    request_id: str,
    amount: int,
    kind: str = "settle",
    resolution: str | None = None,
    reason: str | None = None,
) -> Settlement:
    """Settle (``kind`` settle/refund: keep ``amount``, capped at the hold, return the rest to
    the same grants) or release (``kind`` release: return everything). The settlement carries
    the account's balance after it."""
    sql = HoldRepository(conn)
    hold, locked = sql.lock_hold(request_id)
    if hold is None:
        raise HoldNotFound(f"no hold for request {request_id}")
    grants = {g.id: g for g in locked}
    if hold.status != "held":
        balance = live_balance(grants.values(), {}, now)
        if kind == "release":
            if hold.status == "settled":
                log.warning("ledger.release_after_settle", request_id=request_id)
            return Settlement(0, [], balance=balance)
        if hold.status == "released":
            raise HoldAlreadyResolved(f"the hold for request {request_id} was already released")
        debits = [(g, c) for g, _, c in hold.allocations if c]
        return Settlement(hold.charged, debits, balance=balance)
    if amount > hold.amount:
        # Nothing ever costs more than its hold.
        log.warning("ledger.charge_capped", request_id=request_id, asked=amount, held=hold.amount)
        amount = hold.amount
    op = f"{kind}:{request_id}"
    entries: list[dict[str, object]] = []
    deltas: dict[str, int] = {}
    debits = []
    left = amount
    for grant_id, allocated, _ in hold.allocations:
        charged = min(allocated, left)
        left -= charged
        back = allocated - charged
        key = f"{op}:{grant_id}"
        entries.append(
            entry_row(
                hold.account_id, grant_id, kind, back, key, op, hold.id, request_id, now,
                charged=charged, reason=reason,
            )
        )  # fmt: skip
        deltas[grant_id] = back
        status = grants[grant_id].status
        closing = rules.CLOSING_KIND.get(status)
        if closing and back > 0:
            # Credits back to a grant that is no longer live leave again at once.
            entries.append(
                entry_row(
                    hold.account_id, grant_id, closing, -back, f"{key}:{closing}", op, hold.id,
                    request_id, now, reason=f"returned to a grant already {status}",
                )
            )  # fmt: skip
            deltas[grant_id] = 0
        if charged:
            debits.append((grant_id, charged))
    sql.apply_settlement(
        hold,
        entries,
        list(deltas.items()),
        debits,
        status="released" if kind == "release" else "settled",
        charged=amount,
        at=now,
        resolution=resolution or kind,
    )
    return Settlement(amount, debits, balance=live_balance(grants.values(), deltas, now))


def balance(conn: Connection, *, account_id: str, now: datetime) -> int:
    return HoldRepository(conn).balance(account_id, now)


def entry_row(
    account_id: str,
    grant_id: str,
    kind: str,
    amount: int,
    key: str,
    op: str,
    hold_id: str,
    request_id: str,
    now: datetime,
    *,
    charged: int = 0,
    reason: str | None = None,
) -> dict[str, object]:
    """One ledger_entries row."""
    return {
        "account_id": account_id,
        "grant_id": grant_id,
        "hold_id": hold_id,
        "kind": kind,
        "amount": amount,
        "charged": charged,
        "idempotency_key": key,
        "operation_key": op,
        "request_id": request_id,
        "reason": reason,
        "created_at": now,
    }


def live_balance(grants: Iterable[GrantState], deltas: dict[str, int], now: datetime) -> int:
    """The account's balance from its locked grants and the deltas just written."""
    return sum(g.remaining + deltas.get(g.id, 0) for g in grants if rules.is_live(g, now))

"""LedgerService: every change to a balance, in accounting words.

Credits live in grants. A *hold* moves credits out of grants (in consumption order, all or
nothing) before a model call; *settle* keeps what the call cost and returns the rest to the
same grants; *release* returns everything. *Expire*, *forfeit*, *reversal* and negative
*adjustments* take remaining credits out for good. Each movement is one append-only entry
per grant whose ``amount`` is its signed effect on the grant's ``remaining``, so

    for every grant:  amount (its ``grant`` entry) + Σ other entries = remaining ≥ 0
    balance(account) = Σ remaining of live grants (active and not past expiry)

Every operation is idempotent: holds by request id, everything else by the caller's
idempotency key; a replay returns the first result and writes nothing. Credits that come
back to a grant that is no longer live (expired, forfeited, reversed while they were held)
leave again at once, with an entry of the grant's closing kind.

The service never commits; its caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from caicaini.errors import InsufficientCredits, InvalidInput
from caicaini.kit.ids import new_id
from caicaini.ledger import rules
from caicaini.ledger.core import grant_view, positive
from caicaini.ledger.errors import GrantNotFound, HoldAlreadyResolved, HoldNotFound
from caicaini.ledger.hold_repository import GrantState, HoldRepository
from caicaini.ledger.removals import LedgerRemovals
from caicaini.ledger.views import Entry, Grant, Hold, Settlement
from caicaini.logs import get_logger
from caicaini.models.ledger import Hold as HoldRow

log = get_logger(__name__)

FREEZE_TTL = timedelta(days=30)


class LedgerService(LedgerRemovals):
    # -- grants -------------------------------------------------------------------------------

    async def balance(self, account_id: str) -> int:
        return await HoldRepository(self.session).balance(account_id, self.clock.now())

    async def grants(self, account_id: str) -> list[Grant]:
        now = self.clock.now()
        rows = rules.consumption_order(await self.repo.grants_of(account_id))
        return [grant_view(row, now) for row in rows]

    async def history(self, account_id: str, *, limit: int = 50, offset: int = 0) -> list[Entry]:
        rows = await self.repo.history(account_id, limit=limit, offset=offset)
        return [
            Entry(
                id=r.id,
                kind=r.kind,
                amount=r.amount,
                charged=r.charged,
                grant_id=r.grant_id,
                request_id=r.request_id,
                reason=r.reason,
                created_at=r.created_at,
            )
            for r in rows
        ]

    # -- holds (the gateway's hot path: Core statements, see hold_repository) -------------------

    async def hold(
        self,
        account_id: str,
        *,
        request_id: str,
        amount: int,
        ttl_seconds: int = 900,
        key_id: str | None = None,
        unit_credits: int | None = None,
    ) -> Hold:
        """Reserve ``amount`` for a request, all or nothing. ``unit_credits`` (the price of one
        message unit) is what the sweeper charges if the call started and never settled."""
        positive(amount)
        now = self.clock.now()
        sql = HoldRepository(self.session)
        grants = await sql.lock_grants(account_id)
        live = rules.consumption_order(g for g in grants if rules.is_live(g, now))
        taken = rules.split(live, amount)
        if taken is None:
            existing = await self.repo.hold_by_request(request_id)
            if existing is not None:
                return await self._replayed_hold(existing, account_id)
            available = sum(g.remaining for g in live)
            raise InsufficientCredits(
                f"this request may cost up to {amount} credits; the balance is {available}",
                details={"required": amount, "available": available},
            )
        hold_id = new_id("hold")
        expires_at = now + timedelta(seconds=ttl_seconds)
        placed = await sql.insert_hold(
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
            }
        )
        if not placed:  # the request id is taken: a replay
            existing = await self.repo.hold_by_request(request_id)
            assert existing is not None
            return await self._replayed_hold(existing, account_id)
        op = f"hold:{request_id}"
        await sql.insert_allocations(
            [
                {"hold_id": hold_id, "grant_id": g.id, "position": n, "amount": part, "charged": 0}
                for n, (g, part) in enumerate(taken)
            ]
        )
        await sql.insert_entries(
            [
                entry_row(
                    account_id, g.id, "hold", -part, f"{op}:{g.id}", op, hold_id, request_id, now
                )
                for g, part in taken
            ]
        )
        await sql.move_grants([(g.id, -part) for g, part in taken])
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

    async def freeze(self, grant_id: str, *, request_id: str, amount: int) -> Hold:
        """Hold credits of one grant (a refund in progress), settled later as ``refund``."""
        positive(amount)
        now = self.clock.now()
        row = await self.repo.grant(grant_id)
        if row is None:
            raise GrantNotFound("no such grant")
        grants = {g.id: g for g in await self.repo.lock_account(row.account_id)}
        existing = await self.repo.hold_by_request(request_id)
        if existing is not None:
            return await self._replayed_hold(existing, row.account_id)
        grant = grants[grant_id]
        if not rules.is_live(grant, now) or grant.remaining < amount:
            raise InsufficientCredits(
                f"the grant has {grant.remaining if rules.is_live(grant, now) else 0} credits "
                f"left; {amount} cannot be frozen"
            )
        hold = HoldRow(
            id=new_id("hold"),
            request_id=request_id,
            account_id=row.account_id,
            purpose="freeze",
            status="held",
            amount=amount,
            charged=0,
            created_at=now,
            expires_at=now + FREEZE_TTL,
        )
        return await self._take(hold, [(grant, amount)])

    async def resolve_abandoned(self, request_id: str) -> str | None:
        """Resolve a hold left past its expiry by a crash: released when no upstream call was
        recorded as started, otherwise settled at one message unit. Returns what was done.

        The gateway does not mark its calls started (that would be one more write per message,
        and marking before the call is made would overcharge after a crash), so a gateway hold
        left by a crash is released: the customer keeps the credits. Callers that do record
        the start (``mark_started``) get the one-unit settlement."""
        hold, _ = await self._locked_hold(request_id)
        if hold.status != "held" or hold.expires_at > self.clock.now():
            return None
        if hold.started_at is None:
            await self.release(request_id, reason="expired: no upstream call was recorded")
            return "released"
        unit = min(hold.amount, hold.unit_credits or 1)
        await self._settle(
            request_id,
            unit,
            "settle",
            resolution="expired after the upstream call started: charged one message unit",
        )
        return "settled"

    async def mark_started(self, request_id: str) -> None:
        updated = await self.repo.mark_started(request_id, self.clock.now())
        if updated == 0 and await self.repo.hold_by_request(request_id) is None:
            raise HoldNotFound(f"no hold for request {request_id}")

    async def settle(
        self, request_id: str, amount: int, *, entry_kind: str = "settle"
    ) -> Settlement:
        """Charge ``amount`` (capped at the hold) and return the rest to the same grants. The
        settlement carries the account's balance after it (no second query needed)."""
        if entry_kind not in ("settle", "refund"):
            raise InvalidInput("a hold settles as 'settle' or 'refund'", field="entry_kind")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidInput("a charge is a whole, non-negative number of credits")
        return await self._settle(request_id, amount, entry_kind)

    async def release(self, request_id: str, *, reason: str) -> None:
        await self._settle(request_id, 0, "release", resolution=reason, reason=reason)

    async def _settle(
        self,
        request_id: str,
        amount: int,
        kind: str,
        *,
        resolution: str | None = None,
        reason: str | None = None,
    ) -> Settlement:
        """Settle (``kind`` settle/refund) or release (``kind`` release) a hold."""
        now = self.clock.now()
        sql = HoldRepository(self.session)
        hold = await sql.lock_hold(request_id)
        if hold is None:
            raise HoldNotFound(f"no hold for request {request_id}")
        grants = {g.id: g for g in await sql.lock_grants(hold.account_id, account_locked=True)}
        if hold.status != "held":
            if kind == "release":
                if hold.status == "settled":
                    log.warning("ledger.release_after_settle", request_id=request_id)
                return Settlement(0, [], balance=live_balance(grants.values(), {}, now))
            if hold.status == "released":
                raise HoldAlreadyResolved(f"the hold for request {request_id} was already released")
            debits = [(g, c) for g, _, c in hold.allocations if c]
            return Settlement(hold.charged, debits, balance=live_balance(grants.values(), {}, now))
        if amount > hold.amount:
            # Nothing ever costs more than its hold.
            log.warning(
                "ledger.charge_capped", request_id=request_id, asked=amount, held=hold.amount
            )
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
                    hold.account_id,
                    grant_id,
                    kind,
                    back,
                    key,
                    op,
                    hold.id,
                    request_id,
                    now,
                    charged=charged,
                    reason=reason,
                )
            )
            deltas[grant_id] = back
            status = grants[grant_id].status
            closing = rules.CLOSING_KIND.get(status)
            if closing and back > 0:
                # Credits back to a grant no longer live leave again at once.
                entries.append(
                    entry_row(
                        hold.account_id,
                        grant_id,
                        closing,
                        -back,
                        f"{key}:{closing}",
                        op,
                        hold.id,
                        request_id,
                        now,
                        reason=f"returned to a grant already {status}",
                    )
                )
                deltas[grant_id] = 0
            if charged:
                debits.append((grant_id, charged))
        await sql.insert_entries(entries)
        await sql.move_grants(list(deltas.items()))
        await sql.charge_allocations(hold.id, debits)
        await sql.resolve(
            hold.id,
            status="released" if kind == "release" else "settled",
            charged=amount,
            at=now,
            resolution=resolution or kind,
        )
        return Settlement(amount, debits, balance=live_balance(grants.values(), deltas, now))


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


# Importing the ledger registers its account-closure hook (forfeit remaining credits).
from caicaini.ledger import hooks as _hooks  # noqa: E402, F401

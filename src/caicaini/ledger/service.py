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

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from caicaini.errors import InsufficientCredits, InvalidInput
from caicaini.kit.ids import new_id
from caicaini.ledger import hot, rules
from caicaini.ledger.core import grant_view, positive
from caicaini.ledger.errors import GrantNotFound, HoldNotFound
from caicaini.ledger.removals import LedgerRemovals
from caicaini.ledger.views import Entry, Grant, Hold, Settlement
from caicaini.logs import get_logger
from caicaini.models.ledger import Hold as HoldRow

log = get_logger(__name__)

FREEZE_TTL = timedelta(days=30)
T = TypeVar("T")


class LedgerService(LedgerRemovals):
    # -- grants -------------------------------------------------------------------------------

    async def lock(self, account_id: str) -> None:
        """Take the account's ledger lock for the rest of the transaction (what a hold takes
        first): checks made after it see every hold and settlement before it."""
        await self.repo.lock_account(account_id)

    async def balance(self, account_id: str) -> int:
        return await self._run(hot.balance, account_id=account_id, now=self.clock.now())

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
        return await self._run(
            hot.place_hold,
            now=self.clock.now(),
            account_id=account_id,
            request_id=request_id,
            amount=amount,
            ttl_seconds=ttl_seconds,
            key_id=key_id,
            unit_credits=unit_credits,
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
        await self._run(
            hot.settle_hold,
            now=self.clock.now(),
            request_id=request_id,
            amount=unit,
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
        return await self._run(
            hot.settle_hold, now=self.clock.now(), request_id=request_id, amount=amount,
            kind=entry_kind,
        )  # fmt: skip

    async def release(self, request_id: str, *, reason: str) -> None:
        await self._run(
            hot.settle_hold, now=self.clock.now(), request_id=request_id, amount=0,
            kind="release", resolution=reason, reason=reason,
        )  # fmt: skip

    async def _run(self, fn: Callable[..., T], **kw: Any) -> T:
        """Run a hot-path function on this transaction's connection, after the ORM work."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        conn = await session.connection()
        return await conn.run_sync(fn, **kw)


# Importing the ledger registers its account-closure hook (forfeit remaining credits).
from caicaini.ledger import hooks as _hooks  # noqa: E402, F401

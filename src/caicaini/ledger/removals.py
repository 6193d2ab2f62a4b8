"""Credits leaving for good: reversal, expiry, forfeiture and operator adjustments."""

from __future__ import annotations

from datetime import datetime

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput
from caicaini.ledger.core import LedgerCore
from caicaini.ledger.errors import GrantNotFound, ReasonRequired
from caicaini.ledger.views import Grant
from caicaini.logs import get_logger

log = get_logger(__name__)

REMOVAL_KINDS = {"reversal": "reversed", "forfeit": "forfeited", "expire": "expired"}


class LedgerRemovals(LedgerCore):
    async def remove_remaining(
        self,
        grant_id: str,
        *,
        idempotency_key: str,
        entry_kind: str = "reversal",
        reason: str | None = None,
    ) -> int:
        if entry_kind not in REMOVAL_KINDS:
            raise InvalidInput(f"cannot remove credits as {entry_kind!r}", field="entry_kind")
        row = await self.repo.grant(grant_id)
        if row is None:
            raise GrantNotFound("no such grant")
        grants = {g.id: g for g in await self.repo.lock_account(row.account_id)}
        done = await self.repo.entries_for_operation(idempotency_key)
        if done:
            return -sum(e.amount for e in done)
        grant = grants[grant_id]
        removed = grant.remaining
        self._close(grant, REMOVAL_KINDS[entry_kind])
        self._entry(
            grant,
            entry_kind,
            -removed,
            key=f"{idempotency_key}:{grant.id}",
            op=idempotency_key,
            reason=reason,
        )
        await self.repo.flush()
        return removed

    async def expire_due(self, account_id: str) -> int:
        """Expire what is left of the account's grants past their expiry; held credits stay
        held and expire when they come back. Returns the credits expired."""
        now = self.clock.now()
        total = 0
        for grant in await self.repo.lock_account(account_id):
            if (
                grant.status == "active"
                and grant.expires_at is not None
                and grant.expires_at <= now
            ):
                total += grant.remaining
                op = f"expire:{grant.id}"
                self._entry(
                    grant, "expire", -grant.remaining, key=op, op=op, reason="end of validity"
                )
                self._close(grant, "expired")
        await self.repo.flush()
        return total

    async def forfeit_all(
        self, account_id: str, *, reason: str, idempotency_key: str, actor: Actor | None = None
    ) -> int:
        if not reason.strip():
            raise ReasonRequired("a forfeiture needs a reason")
        grants = await self.repo.lock_account(account_id)
        done = await self.repo.entries_for_operation(idempotency_key)
        if done:
            return -sum(e.amount for e in done)
        total = 0
        for grant in grants:
            if grant.status != "active":
                continue
            total += grant.remaining
            key = f"{idempotency_key}:{grant.id}"
            self._entry(
                grant, "forfeit", -grant.remaining, key=key, op=idempotency_key, reason=reason
            )
            self._close(grant, "forfeited")
        # One entry for the operation itself, so a replay is recognised even when nothing
        # was left to forfeit.
        self._entry(
            None,
            "forfeit",
            0,
            key=idempotency_key,
            op=idempotency_key,
            reason=reason,
            account_id=account_id,
        )
        await self.repo.flush()
        await AuditService(self.session, self.clock).record(
            "credits.forfeited",
            actor=actor or Actor.system(),
            target_type="account",
            target_id=account_id,
            subject_account_id=account_id,
            details={"credits": total, "reason": reason},
        )
        return total

    async def adjust(
        self,
        account_id: str,
        amount: int,
        *,
        reason: str,
        idempotency_key: str,
        expires_at: datetime | None = None,
        actor: Actor | None = None,
    ) -> Grant | None:
        """An operator's correction: a positive amount is a new ``adjustment`` grant, a
        negative one takes credits out in consumption order (all or nothing)."""
        if not reason.strip():
            raise ReasonRequired("an adjustment needs a reason")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise InvalidInput(
                "an adjustment is a non-zero whole number of credits", field="amount"
            )
        result: Grant | None = None
        if amount > 0:
            replay = await self.repo.entry_by_key(idempotency_key) is not None
            result = await self.grant(
                account_id,
                amount,
                "adjustment",
                idempotency_key=idempotency_key,
                expires_at=expires_at,
                source_ref=f"adjustment:{reason[:100]}",
            )
        else:
            replay = await self._debit(account_id, -amount, reason=reason, op=idempotency_key)
        if not replay:
            await AuditService(self.session, self.clock).record(
                "credits.adjusted",
                actor=actor or Actor.system(),
                target_type="account",
                target_id=account_id,
                subject_account_id=account_id,
                details={
                    "amount": amount,
                    "reason": reason,
                    "grant_id": result.id if result else None,
                },
            )
        return result

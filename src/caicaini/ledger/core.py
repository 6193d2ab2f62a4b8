"""The ledger's moving parts shared by its operations: locking, entries, returns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.errors import InsufficientCredits, InvalidInput
from caicaini.kit.clock import Clock
from caicaini.kit.credits import MAX_CREDITS
from caicaini.kit.ids import new_id
from caicaini.ledger import rules
from caicaini.ledger.errors import HoldNotFound
from caicaini.ledger.repository import LedgerRepository
from caicaini.ledger.views import Grant, Hold
from caicaini.logs import get_logger
from caicaini.models.ledger import GRANT_KINDS, HoldAllocation, LedgerEntry
from caicaini.models.ledger import Grant as GrantRow
from caicaini.models.ledger import Hold as HoldRow

log = get_logger(__name__)


def positive(amount: int, what: str = "amount") -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(f"{what} must be a positive whole number of credits", field=what)
    if amount > MAX_CREDITS:
        raise InvalidInput(f"{what} is at most {MAX_CREDITS:,} credits", field=what)


class LedgerCore:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.repo = LedgerRepository(session)

    async def grant(
        self,
        account_id: str,
        amount: int,
        kind: str,
        *,
        idempotency_key: str,
        expires_at: datetime | None = None,
        source_ref: str | None = None,
    ) -> Grant:
        positive(amount)
        if kind not in GRANT_KINDS:
            raise InvalidInput(f"unknown grant kind {kind!r}", field="kind")
        now = self.clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("a grant cannot expire before it is issued", field="expires_at")
        await self.repo.lock_account(account_id)
        existing = await self.repo.entry_by_key(idempotency_key)
        if existing is not None:
            row = await self.repo.grant(existing.grant_id or "")
            if row is None or existing.kind != "grant":
                raise InvalidInput("idempotency key already used for another operation")
            return grant_view(row, now)
        row = GrantRow(
            id=new_id("grant"),
            account_id=account_id,
            kind=kind,
            amount=amount,
            remaining=amount,
            status="active",
            issued_at=now,
            expires_at=expires_at,
            source_ref=source_ref,
        )
        self.repo.add(row)
        await self.repo.flush()
        self._entry(row, "grant", amount, key=idempotency_key, op=idempotency_key)
        await self.repo.flush()
        log.info("ledger.granted", account_id=account_id, grant_id=row.id, kind=kind, amount=amount)
        return grant_view(row, now)

    # -- internals ----------------------------------------------------------------------------

    async def _debit(self, account_id: str, amount: int, *, reason: str, op: str) -> bool:
        now = self.clock.now()
        grants = await self.repo.lock_account(account_id)
        if await self.repo.entries_for_operation(op):
            return True
        live = rules.consumption_order(g for g in grants if rules.is_live(g, now))
        taken = rules.split(live, amount)
        if taken is None:
            raise InsufficientCredits(
                f"cannot take {amount} credits; the balance is {sum(g.remaining for g in live)}"
            )
        for grant, part in taken:
            self._entry(grant, "adjustment", -part, key=f"{op}:{grant.id}", op=op, reason=reason)
        await self.repo.flush()
        return False

    async def _take(self, hold: HoldRow, taken: list[tuple[GrantRow, int]]) -> Hold:
        self.repo.add(hold)
        await self.repo.flush()
        op = f"hold:{hold.request_id}"
        for position, (grant, part) in enumerate(taken):
            self.repo.add(
                HoldAllocation(
                    hold_id=hold.id, grant_id=grant.id, position=position, amount=part, charged=0
                )
            )
            self._entry(grant, "hold", -part, key=f"{op}:{grant.id}", op=op, hold=hold)
        await self.repo.flush()
        return hold_view(hold, [(g.id, part) for g, part in taken])

    async def _replayed_hold(self, hold: HoldRow, account_id: str) -> Hold:
        if hold.account_id != account_id:
            raise InvalidInput("request id already used by another account", field="request_id")
        allocations = await self.repo.allocations(hold.id)
        return hold_view(hold, [(a.grant_id, a.amount) for a in allocations])

    async def _locked_hold(self, request_id: str) -> tuple[HoldRow, dict[str, GrantRow]]:
        found = await self.repo.hold_by_request(request_id)
        if found is None:
            raise HoldNotFound(f"no hold for request {request_id}")
        grants = {g.id: g for g in await self.repo.lock_account(found.account_id)}
        hold = await self.repo.hold_by_request(request_id, lock=True)
        assert hold is not None
        return hold, grants

    def _close(self, grant: GrantRow, status: str) -> None:
        grant.status, grant.closed_at = status, self.clock.now()

    def _entry(
        self,
        grant: GrantRow | None,
        kind: str,
        amount: int,
        *,
        key: str,
        op: str,
        hold: HoldRow | None = None,
        charged: int = 0,
        reason: str | None = None,
        account_id: str | None = None,
    ) -> None:
        if grant is not None and kind != "grant":
            grant.remaining += amount
        self.repo.add(
            LedgerEntry(
                account_id=grant.account_id if grant is not None else account_id,
                grant_id=grant.id if grant is not None else None,
                hold_id=hold.id if hold is not None else None,
                kind=kind,
                amount=amount,
                charged=charged,
                idempotency_key=key,
                operation_key=op,
                request_id=hold.request_id if hold is not None else None,
                reason=reason,
                created_at=self.clock.now(),
            )
        )


def grant_view(row: GrantRow, now: datetime) -> Grant:
    return Grant(
        id=row.id,
        account_id=row.account_id,
        kind=row.kind,
        amount=row.amount,
        remaining=row.remaining,
        status=row.status,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        source_ref=row.source_ref,
        active=rules.is_live(row, now),
    )


def hold_view(row: HoldRow, allocations: list[tuple[str, int]]) -> Hold:
    return Hold(
        id=row.id,
        request_id=row.request_id,
        account_id=row.account_id,
        amount=row.amount,
        status=row.status,
        expires_at=row.expires_at,
        started_at=row.started_at,
        charged=row.charged,
        allocations=allocations,
    )

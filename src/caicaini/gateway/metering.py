"""Metering: the money side of one gateway message, exactly once.

    quote   max_price(rate, input bound, max_tokens)  — the most the call can cost
    hold    one short transaction: LedgerService.hold; with a spend cap (the account's or
            the key's) the caps are checked first, under the account's ledger lock
            (unaffordable → max_tokens lowered to what is affordable; 0 → 402)
    settle  one transaction: LedgerService.settle at the real units (capped at the hold) or
            release when nothing was produced, plus the usage record, the signed receipt and
            the key's last-used time; the balance for the response header comes back from
            the settlement (no extra query), and compared with the low-balance threshold

The input bound is an estimate from the body size (``ceil(bytes / 3)`` tokens): it only
bounds the hold, the charge uses upstream's own counts, and a charge never exceeds its hold.

The gateway does not mark its holds "started": marking before the upstream call would make
the sweeper charge one unit for a call that may never have been made, and marking after it
would cost one more write per message. So a hold orphaned by a crash of this process is
released by the sweeper, in the customer's favour. Settlement itself never depends on the
sweeper in normal operation: it runs in a ``finally`` shielded from cancellation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.api_keys.service import LAST_USED_GRANULARITY
from caicaini.context import AppContext
from caicaini.errors import InsufficientCredits
from caicaini.gateway import guardrails, receipts
from caicaini.gateway.caller import Caller
from caicaini.gateway.repository import insert_usage, touch_key
from caicaini.gateway.state import GatewayState
from caicaini.gateway.upstreams.base import Usage
from caicaini.gateway.writer import SqliteWriter, WriterBusy
from caicaini.guardrails.caps import Room
from caicaini.guardrails.errors import SpendCapReached
from caicaini.guardrails.service import Alert, GuardrailService
from caicaini.kit.credits import ceil_div
from caicaini.kit.ids import new_id
from caicaini.ledger import hot
from caicaini.ledger.service import LedgerService
from caicaini.plans.pricing import affordable_max_tokens, max_price, price
from caicaini.plans.views import ModelRate

BYTES_PER_TOKEN_BOUND = 3
T = TypeVar("T")
_undoing: set[asyncio.Future[None]] = set()


def input_bound(body_size: int) -> int:
    return max(1, ceil_div(body_size, BYTES_PER_TOKEN_BOUND))


@dataclass
class Charge:
    credits: int
    units: int
    remaining: int
    receipt_id: str | None


@dataclass
class Meter:
    ctx: AppContext
    state: GatewayState
    request_id: str
    caller: Caller
    rate: ModelRate
    endpoint: str
    stream: bool
    input_tokens_bound: int
    held: int = 0
    lowered_to: int | None = None
    requested_tokens: int = 0
    capped: bool = False  # the account or the key has a spend cap
    alert: Alert | None = None  # the low-balance alert, None when off
    provider: str = ""
    settled: Charge | None = None
    started: float = field(default_factory=time.perf_counter)

    async def hold(self, max_tokens: int) -> int:
        """Place the hold; returns the max_tokens the call may use: at most the model's
        output limit, and lowered further to what is affordable. Either lowering is
        announced (``lowered_to``)."""
        self.requested_tokens = max_tokens
        wanted = min(max(1, max_tokens), self.rate.model.max_output_tokens)
        writer = self.state.writer
        if not self.capped:
            # The common case: one transaction, on SQLite's writer or a plain connection.
            try:
                if writer is not None:
                    await self._hold_on_writer(writer, self._amount(wanted))
                else:
                    await self.ctx.db.run(partial(self._hold_tx, self._amount(wanted)))
                return self._placed(wanted, wanted)
            except InsufficientCredits:
                pass
        else:
            async with self.ctx.transaction() as session:
                room = await self._room(session)
                tokens = wanted if room is None else self._affordable(wanted, room.left, room)
                try:
                    await self._run(session, partial(self._hold_tx, self._amount(tokens)))
                    return self._placed(wanted, tokens)
                except InsufficientCredits:
                    pass
        # Not affordable in full: hold what the balance (and caps) allow, in a fresh transaction.
        async with self.ctx.transaction() as session:
            budget = await LedgerService(session, self.ctx.clock).balance(self.caller.account_id)
            room = await self._room(session) if self.capped else None
            if room is not None and room.left <= budget:
                budget = room.left
            else:
                room = None
            tokens = self._affordable(wanted, budget, room)
            await self._run(session, partial(self._hold_tx, self._amount(tokens)))
            return self._placed(wanted, tokens)

    async def _hold_on_writer(self, writer: SqliteWriter, amount: int) -> None:
        """The writer commits the hold even if this request is cancelled meanwhile (a client
        gone); then release it at once rather than leave it to the sweeper. When the writer
        can run it at once it does so without a task: nothing can be cancelled half-way."""
        work = partial(self._hold_tx, amount)
        try:
            writer.run_now(work)
            return
        except WriterBusy:
            pass
        placing = asyncio.ensure_future(writer.run(work))
        try:
            await asyncio.shield(placing)
        except asyncio.CancelledError:
            undo = asyncio.ensure_future(self._release_when_placed(placing))
            _undoing.add(undo)
            undo.add_done_callback(_undoing.discard)
            raise

    async def _release_when_placed(self, placing: asyncio.Future[None]) -> None:
        try:
            await placing
        except Exception:
            return  # not placed: nothing to undo
        await self.settle(None, outcome="client_disconnect")

    def _amount(self, tokens: int) -> int:
        return max_price(self.rate, self.input_tokens_bound, tokens).credits

    def _hold_tx(self, amount: int, conn: Connection) -> None:
        hot.place_hold(
            conn,
            now=self.ctx.clock.now(),
            account_id=self.caller.account_id,
            request_id=self.request_id,
            amount=amount,
            ttl_seconds=self.ctx.settings.hold_ttl_seconds,
            key_id=self.caller.key_id,
            unit_credits=self.rate.credits_per_unit,
        )
        self.held = amount

    @staticmethod
    async def _run(session: AsyncSession, work: Callable[[Connection], T]) -> T:
        conn = await session.connection()
        return await conn.run_sync(work)

    def _affordable(self, wanted: int, budget: int, cap: Room | None) -> int:
        """The largest max_tokens (up to ``wanted``) whose hold fits ``budget``; none fits:
        refused by the cap that set the budget, or for the balance."""
        if max_price(self.rate, self.input_tokens_bound, wanted).credits <= budget:
            return wanted
        tokens = min(wanted, affordable_max_tokens(self.rate, self.input_tokens_bound, budget))
        if tokens <= 0:
            if cap is not None:
                raise SpendCapReached(cap, self.ctx.clock.now())
            raise InsufficientCredits(
                "your credit balance is too low for this request; top up or wait for your "
                "next monthly allowance"
            )
        return tokens

    def _placed(self, wanted: int, tokens: int) -> int:
        if tokens < max(wanted, self.requested_tokens):
            self.lowered_to = tokens
        return tokens

    async def _room(self, session: AsyncSession) -> Room | None:
        """What the caps allow, checked under the account's ledger lock (which the hold in
        this transaction takes too), so concurrent requests see each other's holds: a cap
        cannot be overrun, on any number of processes."""
        return await GuardrailService(session, self.ctx.clock).room(
            self.caller.account_id, self.caller.key_id
        )

    async def settle(self, usage: Usage | None, *, outcome: str) -> Charge:
        """Charge for what upstream produced (``usage``), or release when ``usage`` is None.
        Idempotent: a second call returns the first result."""
        if self.settled is not None:
            return self.settled
        if not self.held:
            self.settled = Charge(0, 0, 0, None)
            return self.settled
        now = self.ctx.clock.now()
        units, credits = 0, 0
        if usage is not None:
            quoted = price(self.rate, usage.total_input, usage.output_tokens)
            units, credits = quoted.units, min(quoted.credits, self.held)
        touch = self._touch()
        work = partial(self._settle_tx, now, usage or Usage(), units, credits, outcome, touch)
        writer = self.state.writer
        if writer is not None:
            charge = await writer.run(work)
        else:
            charge = await self.ctx.db.run(work)
        key_id = self.caller.key_id
        if key_id is not None and (touch or key_id not in self.state.touched):
            self.state.touched[key_id] = time.monotonic()
        if self.alert is not None:
            guardrails.settled(self.ctx, self.state, self.caller.account_id, self.alert,
                               charge.remaining)  # fmt: skip
        self.settled = charge
        return charge

    def _settle_tx(
        self,
        now: datetime,
        usage: Usage,
        units: int,
        credits: int,
        outcome: str,
        touch: bool,
        conn: Connection,
    ) -> Charge:
        """One transaction: settle (or release), usage record, receipt, key last-used."""
        receipt: dict[str, Any] | None = None
        if credits > 0:
            settlement = hot.settle_hold(conn, now=now, request_id=self.request_id, amount=credits)
            credits = settlement.charged
            receipt = self._receipt(now, usage, units, credits, settlement.debits)
        else:
            settlement = hot.settle_hold(
                conn, now=now, request_id=self.request_id, amount=0, kind="release",
                resolution=outcome, reason=outcome,
            )  # fmt: skip
        insert_usage(conn, self._record(now, usage, units, credits, outcome), receipt)
        if touch and self.caller.key_id is not None:
            touch_key(conn, self.caller.key_id, now, not_since=now - LAST_USED_GRANULARITY)
        remaining = settlement.balance if settlement.balance is not None else -1
        return Charge(credits, units, remaining, receipt["id"] if receipt else None)

    def _record(
        self, now: datetime, usage: Usage, units: int, credits: int, outcome: str
    ) -> dict[str, Any]:
        """The usage_records row."""
        return {
            "id": self.request_id,
            "account_id": self.caller.account_id,
            "key_id": self.caller.key_id,
            "model": self.rate.model.id,
            "provider": self.provider or "none",
            "endpoint": self.endpoint,
            "stream": self.stream,
            "outcome": outcome,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "units": units,
            "rate": self.rate.credits_per_unit,
            "sheet_version": self.rate.sheet_version,
            "credits_held": self.held,
            "credits_charged": credits,
            "duration_ms": int((time.perf_counter() - self.started) * 1000),
            "created_at": now,
        }

    def _receipt(
        self,
        now: datetime,
        usage: Usage,
        units: int,
        credits: int,
        debits: list[tuple[str, int]],
    ) -> dict[str, Any]:
        """The signed receipts row."""
        receipt_id = new_id("rcpt")
        payload = {
            "receipt_id": receipt_id,
            "request_id": self.request_id,
            "issued_at": now.isoformat(),
            "account_id": self.caller.account_id,
            "key_id": self.caller.key_id,
            "source": self.caller.source,
            "model": self.rate.model.id,
            "provider": self.provider or "none",
            "usage": usage.to_anthropic(),
            "units": units,
            "rate": self.rate.credits_per_unit,
            "sheet_version": self.rate.sheet_version,
            "credits_charged": credits,
            "grants_debited": [{"grant_id": g, "credits": c} for g, c in debits],
        }
        return {
            "id": receipt_id,
            "request_id": self.request_id,
            "account_id": self.caller.account_id,
            "payload": payload,
            "signature": receipts.sign(self.ctx.settings.secret_key, payload),
            "created_at": now,
        }

    def _touch(self) -> bool:
        """Whether to write the key's last_used_at: at most once a minute per key and
        process (web messages have no key)."""
        key = self.caller.key
        if key is None:
            return False
        seen = self.state.touched.get(key.id)
        if seen is not None:
            return time.monotonic() - seen >= LAST_USED_GRANULARITY.total_seconds()
        last = key.last_used_at
        return last is None or self.ctx.clock.now() - last >= LAST_USED_GRANULARITY

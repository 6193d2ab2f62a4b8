"""GuardrailService: the customer's spend caps and low-balance alert, and the checks behind
them.

Low-balance alerts: each account has a threshold (its own, or by default a tenth of its plan's
monthly credits). When a settlement leaves the balance at or under it, one e-mail goes out for
that crossing (``low_balance_alerted_at`` is set once, by a conditional update, whichever
process gets there first); when the balance is above the threshold again the flag is cleared,
so the next crossing alerts again. The dashboard banner is computed from the live balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import export
from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput
from caicaini.guardrails.caps import (
    ACCOUNT,
    DAILY,
    KEY,
    MONTHLY,
    Cap,
    Room,
    caps_of,
    check_caps,
    period_start,
    resets_at,
    tightest,
)
from caicaini.guardrails.repository import GuardrailRepository
from caicaini.kit.clock import Clock
from caicaini.kit.credits import MAX_CREDITS
from caicaini.models.accounts import Account
from caicaini.models.guardrails import AccountGuardrails

DEFAULT_THRESHOLD_SHARE = 10  # the default threshold: a tenth of the plan's monthly credits


def default_threshold(monthly_credits: int) -> int:
    return monthly_credits // DEFAULT_THRESHOLD_SHARE


@dataclass(frozen=True, slots=True)
class Alert:
    """The low-balance alert as one settlement sees it."""

    threshold: int
    armed: bool  # no alert sent since the balance was last above the threshold

    def changes(self, balance: int) -> bool:
        """Whether ``balance`` flips the alert: armed and at or under the threshold (send),
        or sent and above it again (re-arm)."""
        return (balance <= self.threshold) == self.armed


@dataclass(frozen=True, slots=True)
class GuardrailView:
    """An account's guardrails as the gateway caches them for a few seconds."""

    caps: tuple[Cap, ...]
    threshold: int | None  # None: the default
    alerts: bool
    alerted: bool

    def alert(self, monthly_credits: int) -> Alert | None:
        if not self.alerts:
            return None
        threshold = self.threshold
        if threshold is None:
            threshold = default_threshold(monthly_credits)
        return Alert(threshold, not self.alerted)


NO_GUARDRAILS = GuardrailView((), None, True, False)


@dataclass(frozen=True)
class CapStatus:
    cap: int | None
    spent: int
    resets_at: datetime


@dataclass(frozen=True)
class Spending:
    """The settings page's view: each period's cap, what it counts so far, the alert."""

    daily: CapStatus
    monthly: CapStatus
    threshold: int | None
    default_threshold: int
    alerts: bool

    @property
    def effective_threshold(self) -> int:
        return self.default_threshold if self.threshold is None else self.threshold


def parse_credits(raw: str | None, field: str) -> int | None:
    """A form's credit amount: blank means none; otherwise a whole number >= 0."""
    text = (raw or "").strip().replace(",", "").replace("_", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_CREDITS:
        raise InvalidInput("enter a whole number of credits (or leave it empty)", field=field)
    return int(text)


class GuardrailService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.repo = GuardrailRepository(session)

    async def view(self, account_id: str) -> GuardrailView:
        row = await self.repo.get(account_id)
        if row is None:
            return NO_GUARDRAILS
        return GuardrailView(
            caps_of(ACCOUNT, row.daily_credit_cap, row.monthly_credit_cap),
            row.low_balance_threshold,
            row.low_balance_alerts,
            row.low_balance_alerted_at is not None,
        )

    # -- caps at hold time ----------------------------------------------------------------
    async def room(self, account_id: str, key_id: str | None) -> Room | None:
        """What the account's and the key's caps still allow, read as stored now, under the
        account's ledger lock (the hold that follows in this transaction takes it too)."""
        from caicaini.ledger.service import LedgerService

        await LedgerService(self.session, self.clock).lock(account_id)
        stored = await self.repo.caps(account_id, key_id)
        now = self.clock.now()
        rooms: list[Room] = []
        for scope, owner, (daily, monthly) in (
            (ACCOUNT, account_id, stored["account"]),
            (KEY, key_id, stored["key"] or (None, None)),
        ):
            caps = caps_of(scope, daily, monthly)
            if not caps or owner is None:
                continue
            spent = await self.repo.spent(scope, owner, [period_start(c.period, now) for c in caps])
            rooms += [
                Room(max(0, c.limit - s), c, s, resets_at(c.period, now))
                for c, s in zip(caps, spent, strict=True)
            ]
        return tightest(rooms)

    # -- the customer's settings ----------------------------------------------------------
    async def spending(self, account_id: str, *, key_id: str | None = None) -> Spending:
        """Caps and what they count now: the account's, or with ``key_id`` that key's."""
        now = self.clock.now()
        since = [period_start(DAILY, now), period_start(MONTHLY, now)]
        row = await self.repo.get(account_id)
        if key_id is None:
            caps = (row.daily_credit_cap, row.monthly_credit_cap) if row else (None, None)
            day, month = await self.repo.spent(ACCOUNT, account_id, since)
        else:
            caps = (await self.repo.caps(account_id, key_id))["key"] or (None, None)
            day, month = await self.repo.spent(KEY, key_id, since)
        return Spending(
            daily=CapStatus(caps[0], day, resets_at(DAILY, now)),
            monthly=CapStatus(caps[1], month, resets_at(MONTHLY, now)),
            threshold=row.low_balance_threshold if row else None,
            default_threshold=default_threshold(await self._monthly_credits(account_id) or 0),
            alerts=row.low_balance_alerts if row else True,
        )

    async def set_caps(
        self, account_id: str, *, daily: int | None, monthly: int | None, actor: Actor
    ) -> None:
        check_caps(daily, monthly)
        row = await self._row(account_id)
        before = {"daily": row.daily_credit_cap, "monthly": row.monthly_credit_cap}
        row.daily_credit_cap, row.monthly_credit_cap = daily, monthly
        row.updated_at = self.clock.now()
        await self.repo.flush()
        await self._audit("guardrails.caps_set", account_id, actor, before,
                          {"daily": daily, "monthly": monthly})  # fmt: skip

    async def set_alert(
        self, account_id: str, *, enabled: bool, threshold: int | None, actor: Actor
    ) -> None:
        if threshold is not None and not 0 <= threshold <= MAX_CREDITS:
            raise InvalidInput("the threshold is a whole number of credits", field="threshold")
        row = await self._row(account_id)
        before = {"enabled": row.low_balance_alerts, "threshold": row.low_balance_threshold}
        row.low_balance_alerts, row.low_balance_threshold = enabled, threshold
        row.low_balance_alerted_at = None  # a new threshold: the next crossing alerts
        row.updated_at = self.clock.now()
        await self.repo.flush()
        await self._audit("guardrails.alert_set", account_id, actor, before,
                          {"enabled": enabled, "threshold": threshold})  # fmt: skip

    async def _row(self, account_id: str) -> AccountGuardrails:
        await self.repo.ensure(account_id, self.clock.now())
        row = await self.repo.get(account_id)
        assert row is not None
        return row

    async def _audit(
        self, action: str, account_id: str, actor: Actor, before: object, after: object
    ) -> None:
        await AuditService(self.session, self.clock).record(
            action,
            actor=actor,
            target_type="account",
            target_id=account_id,
            subject_account_id=account_id,
            details={"before": before, "after": after},
        )

    # -- low balance ----------------------------------------------------------------------
    async def threshold(self, account_id: str) -> int | None:
        """The account's alert threshold now, or None when alerts are off (or no price sheet
        is installed yet: nothing can be spent then)."""
        monthly = await self._monthly_credits(account_id)
        alert = (await self.view(account_id)).alert(monthly) if monthly is not None else None
        return alert.threshold if alert else None

    async def _monthly_credits(self, account_id: str) -> int | None:
        """The monthly credits of the account's plan; None before any price sheet."""
        from caicaini.plans.errors import NoPriceSheet
        from caicaini.plans.service import PlanService

        try:
            terms = await PlanService(self.session, self.clock).terms_for(account_id)
        except NoPriceSheet:
            return None
        return terms.plan.monthly_credits

    async def banner(self, account_id: str, balance: int) -> int | None:
        """The threshold, when ``balance`` is at or under it and alerts are on (the banner)."""
        threshold = await self.threshold(account_id)
        return threshold if threshold is not None and balance <= threshold else None

    async def alert_if_low(self, account_id: str, public_url: str) -> bool:
        """Send the low-balance e-mail if the balance is at or under the threshold and no
        alert went out for this crossing yet; True when it was sent."""
        from caicaini.ledger.service import LedgerService
        from caicaini.mail.service import MailService

        threshold = await self.threshold(account_id)
        if threshold is None:
            return False
        balance = await LedgerService(self.session, self.clock).balance(account_id)
        if balance > threshold or not await self.repo.claim_alert(account_id, self.clock.now()):
            return False
        account = await self.session.get(Account, account_id)
        if account is None or account.status != "active":
            return False
        await MailService(self.session, self.clock, public_url).send(
            account.email,
            "low_balance",
            {"balance": balance, "threshold": threshold},
            account_id=account_id,
        )
        return True

    async def rearm_if_above(self, account_id: str) -> None:
        """The balance is above the threshold again: the next crossing alerts once more."""
        from caicaini.ledger.service import LedgerService

        threshold = await self.threshold(account_id)
        balance = await LedgerService(self.session, self.clock).balance(account_id)
        if threshold is not None and balance > threshold:
            await self.repo.rearm_alert(account_id)


async def export_section(session: AsyncSession, account_id: str) -> dict[str, object]:
    """The account's guardrail settings, for the data export."""
    row = await GuardrailRepository(session).get(account_id)
    if row is None:
        return {"spend_caps": {"daily": None, "monthly": None}, "low_balance_alert": None}
    alerted = row.low_balance_alerted_at
    return {
        "spend_caps": {"daily": row.daily_credit_cap, "monthly": row.monthly_credit_cap},
        "low_balance_alert": {
            "enabled": row.low_balance_alerts,
            "threshold": row.low_balance_threshold,
            "last_sent_at": alerted.isoformat() if alerted else None,
        },
    }


export.register_section("guardrails", export_section)

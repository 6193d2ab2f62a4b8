"""An operator's credit adjustment, and the customer's notice of it.

Every adjustment (the console's form, ``caicaini credits grant``) goes through
``adjust_credits``: the ledger entry and the audit record (``LedgerService.adjust``), then a
dashboard notice and an e-mail saying what changed, why, and the balance now, all in the
caller's transaction. The notice is keyed by the adjustment's idempotency key, so a replayed
adjustment neither moves credits nor notifies twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor
from caicaini.kit.clock import Clock
from caicaini.ledger.service import LedgerService
from caicaini.ledger.views import Grant
from caicaini.models.accounts import Account
from caicaini.notices.service import NoticeService


async def adjust_credits(
    session: AsyncSession,
    clock: Clock,
    public_url: str,
    account_id: str,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    expires_at: datetime | None = None,
) -> Grant | None:
    """Adjust the account's credits (audited) and tell its owner."""
    ledger = LedgerService(session, clock)
    grant = await ledger.adjust(
        account_id,
        amount,
        reason=reason,
        idempotency_key=idempotency_key,
        expires_at=expires_at,
        actor=actor,
    )
    account = await session.get(Account, account_id)
    if account is None or account.status == "closed":
        return grant
    subject, body = adjustment_notice(amount, reason, await ledger.balance(account_id), expires_at)
    await NoticeService(session, clock, public_url).notify(
        account_id,
        kind="credit_adjustment",
        ref=f"adjustment:{idempotency_key}"[:120],
        subject=subject,
        body=body,
        email=account.email,
    )
    return grant


def adjustment_notice(
    amount: int, reason: str, balance: int, expires_at: datetime | None
) -> tuple[str, str]:
    credits = f"{abs(amount):,} credit{'s' if abs(amount) != 1 else ''}"
    if amount > 0:
        subject = f"We added {credits} to your Caicaini balance"
        what = f"Our team added {credits} to your balance."
        if expires_at is not None:
            what += f" They expire on {expires_at:%d %B %Y at %H:%M} UTC."
    else:
        subject = f"We took {credits} out of your Caicaini balance"
        what = f"Our team took {credits} out of your balance."
    body = (
        f"{what}\n\nReason: {reason.strip()}\n\nYour balance is now {balance:,} credits. "
        "If this looks wrong, contact support and quote this notice."
    )
    return subject, body

"""Ledger hooks into other domains: closing an account forfeits every remaining credit
(Terms §2: closing does not refund unused credits), in the closure's own transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.kit.clock import Clock


async def forfeit_on_closure(
    session: AsyncSession, clock: Clock, account_id: str, reason: str
) -> None:
    from caicaini.ledger.service import LedgerService

    await LedgerService(session, clock).forfeit_all(
        account_id,
        reason=f"account closed: {reason}"[:500],
        idempotency_key=f"closure:{account_id}",
    )


def register() -> None:
    try:
        from caicaini.accounts.closure import CLOSURE_HOOKS
    except ImportError:  # accounts not part of this build
        return
    if forfeit_on_closure not in CLOSURE_HOOKS:
        CLOSURE_HOOKS.append(forfeit_on_closure)


register()

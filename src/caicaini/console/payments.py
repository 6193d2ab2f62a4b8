"""The console's view of payments: the review queue with the customer of each item."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts.repository import AccountRepository
from caicaini.kit.clock import Clock
from caicaini.payments.approvals import ApprovalService, ReviewItem


async def review_queue(
    session: AsyncSession, clock: Clock, public_url: str
) -> list[tuple[ReviewItem, str]]:
    items = await ApprovalService(session, clock, public_url).queue()
    ids = sorted({i.account_id for i in items})
    emails = {a.id: a.email for a in await AccountRepository(session).by_ids(ids)}
    return [(item, emails.get(item.account_id, item.account_id)) for item in items]


async def emails_of(session: AsyncSession, ids: set[str | None]) -> dict[str, str]:
    """Account id -> e-mail, to name actors and subjects next to their full ids."""
    wanted = sorted(i for i in ids if i and i.startswith("acct_"))
    return {a.id: a.email for a in await AccountRepository(session).by_ids(wanted)}

"""All SQL of the guardrails: the account's settings row, what was spent since a moment, and
the low-balance alert's once-per-crossing flag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.guardrails.caps import ACCOUNT
from caicaini.models.api_keys import ApiKey
from caicaini.models.guardrails import AccountGuardrails
from caicaini.models.ledger import Hold
from caicaini.models.usage import UsageRecord


class GuardrailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, account_id: str) -> AccountGuardrails | None:
        return await self.session.get(AccountGuardrails, account_id)

    async def ensure(self, account_id: str, now: datetime) -> None:
        """Insert the account's row with the defaults unless it exists (race-free)."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(AccountGuardrails)
            .values(account_id=account_id, low_balance_alerts=True, updated_at=now)
            .on_conflict_do_nothing(index_elements=["account_id"])
        )
        await self.session.execute(stmt)

    async def caps(self, account_id: str, key_id: str | None) -> dict[str, Any]:
        """The caps as stored now: the account's and, with ``key_id``, the key's."""
        row = (
            await self.session.execute(
                select(
                    AccountGuardrails.daily_credit_cap, AccountGuardrails.monthly_credit_cap
                ).where(AccountGuardrails.account_id == account_id)
            )
        ).first()
        found: dict[str, Any] = {"account": tuple(row) if row else (None, None), "key": None}
        if key_id is not None:
            key = (
                await self.session.execute(
                    select(ApiKey.daily_credit_cap, ApiKey.monthly_credit_cap).where(
                        ApiKey.id == key_id
                    )
                )
            ).first()
            found["key"] = tuple(key) if key else (None, None)
        return found

    async def spent(self, scope: str, owner_id: str, since: list[datetime]) -> list[int]:
        """Credits spent since each moment by the account (``scope`` ACCOUNT) or the key:
        settled charges plus what its requests in flight hold. One statement."""
        usage_owner: Any = UsageRecord.account_id if scope == ACCOUNT else UsageRecord.key_id
        hold_owner: Any = Hold.account_id if scope == ACCOUNT else Hold.key_id
        settled = [
            select(func.coalesce(func.sum(UsageRecord.credits_charged), 0))
            .where(usage_owner == owner_id, UsageRecord.created_at >= moment)
            .scalar_subquery()
            for moment in since
        ]
        held = (
            select(func.coalesce(func.sum(Hold.amount), 0))
            .where(hold_owner == owner_id, Hold.status == "held", Hold.purpose == "request")
            .scalar_subquery()
        )
        row = (await self.session.execute(select(*settled, held))).one()
        in_flight = int(row[-1])
        return [int(value) + in_flight for value in row[:-1]]

    async def claim_alert(self, account_id: str, now: datetime) -> bool:
        """Mark the low-balance alert sent for this crossing; False if it already was (by
        this process or another) or alerts are off."""
        await self.ensure(account_id, now)
        result = await self.session.execute(
            update(AccountGuardrails)
            .where(
                AccountGuardrails.account_id == account_id,
                AccountGuardrails.low_balance_alerted_at.is_(None),
                AccountGuardrails.low_balance_alerts.is_(True),
            )
            .values(low_balance_alerted_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def rearm_alert(self, account_id: str) -> None:
        await self.session.execute(
            update(AccountGuardrails)
            .where(
                AccountGuardrails.account_id == account_id,
                AccountGuardrails.low_balance_alerted_at.is_not(None),
            )
            .values(low_balance_alerted_at=None)
        )

    async def flush(self) -> None:
        await self.session.flush()

"""All SQL for accounts, their e-mailed tokens, web sessions and login failures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.accounts import Account, AccountToken, LoginFailure, WebSession


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # accounts
    async def add(self, account: Account) -> Account:
        self.session.add(account)
        await self.session.flush()
        return account

    async def get(self, account_id: str, *, for_update: bool = False) -> Account | None:
        if not for_update:
            return await self.session.get(Account, account_id)
        stmt = select(Account).where(Account.id == account_id).with_for_update()
        return (await self.session.scalars(stmt)).first()

    async def by_email(self, email: str) -> Account | None:
        return (await self.session.scalars(select(Account).where(Account.email == email))).first()

    async def email_exists(self, email: str) -> bool:
        stmt = select(func.count()).select_from(Account).where(Account.email == email)
        return bool(await self.session.scalar(stmt))

    async def by_ids(self, ids: list[str]) -> list[Account]:
        if not ids:
            return []
        stmt = select(Account).where(Account.id.in_(ids)).order_by(Account.created_at)
        return list((await self.session.scalars(stmt)).all())

    async def search(self, email_part: str, *, limit: int = 50) -> list[Account]:
        """Accounts whose e-mail contains ``email_part`` (case-insensitive); newest first
        when the fragment is empty."""
        stmt = select(Account)
        if email_part:
            pattern = func.lower(Account.email).contains(email_part.lower(), autoescape=True)
            stmt = stmt.where(pattern).order_by(Account.email)
        else:
            stmt = stmt.order_by(Account.created_at.desc())
        return list((await self.session.scalars(stmt.limit(limit))).all())

    # tokens
    async def add_token(self, token: AccountToken) -> None:
        self.session.add(token)
        await self.session.flush()

    async def token_by_hash(self, token_hash: str) -> AccountToken | None:
        stmt = select(AccountToken).where(AccountToken.token_hash == token_hash).with_for_update()
        return (await self.session.scalars(stmt)).first()

    async def retire_tokens(self, account_id: str, purpose: str, now: datetime) -> None:
        """Older unused links of the same purpose stop working when a new one is sent."""
        stmt = select(AccountToken).where(
            AccountToken.account_id == account_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        for token in (await self.session.scalars(stmt)).all():
            token.used_at = now

    # sessions
    async def add_session(self, web_session: WebSession) -> None:
        self.session.add(web_session)
        await self.session.flush()

    async def get_session(self, session_id: str) -> WebSession | None:
        return await self.session.get(WebSession, session_id)

    async def delete_session(self, session_id: str) -> None:
        await self.session.execute(delete(WebSession).where(WebSession.id == session_id))

    async def delete_sessions(self, account_id: str, *, keep: str | None = None) -> None:
        stmt = delete(WebSession).where(WebSession.account_id == account_id)
        if keep is not None:
            stmt = stmt.where(WebSession.id != keep)
        await self.session.execute(stmt)

    async def delete_expired_sessions(self, now: datetime) -> int:
        result = await self.session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)

    # login failures
    async def add_failure(self, key: str, at: datetime) -> None:
        self.session.add(LoginFailure(key=key, created_at=at))

    async def failures_since(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures for ``key`` since ``since``, and when the oldest of them was."""
        stmt = select(func.count(), func.min(LoginFailure.created_at)).where(
            LoginFailure.key == key, LoginFailure.created_at > since
        )
        count, oldest = (await self.session.execute(stmt)).one()
        if isinstance(oldest, datetime) and oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        return int(count), oldest

    async def clear_failures(self, key: str) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    async def prune_failures(self, before: datetime) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.created_at <= before))

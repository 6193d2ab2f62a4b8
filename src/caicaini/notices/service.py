"""NoticeService: a notice is stored for the dashboard and, when asked, e-mailed through the
outbox in the same transaction. One notice per (account, ref): repeating is harmless."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.errors import NotFound
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.mail.service import MailService
from caicaini.models.notices import Notice
from caicaini.notices.repository import NoticeRepository


@dataclass(frozen=True)
class NoticeView:
    id: str
    kind: str
    subject: str
    body: str
    effective_at: datetime | None
    created_at: datetime
    read: bool


def notice_view(row: Notice) -> NoticeView:
    return NoticeView(
        id=row.id,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        effective_at=row.effective_at,
        created_at=row.created_at,
        read=row.read_at is not None,
    )


class NoticeService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.repo = NoticeRepository(session)
        self.mail = MailService(session, clock, public_url)

    async def notify(
        self,
        account_id: str,
        *,
        kind: str,
        ref: str,
        subject: str,
        body: str,
        email: str | None = None,
        effective_at: datetime | None = None,
    ) -> NoticeView:
        """Store a dashboard notice and, with ``email``, send it by e-mail (once per ref)."""
        existing = await self.repo.by_ref(account_id, ref)
        if existing is not None:
            return notice_view(existing)
        row = Notice(
            id=new_id("notice"),
            account_id=account_id,
            kind=kind,
            ref=ref,
            subject=subject,
            body=body,
            effective_at=effective_at,
            created_at=self.clock.now(),
        )
        self.repo.add(row)
        await self.repo.flush()
        if email:
            await self.mail.send(
                email, "notice", {"subject": subject, "body": body}, account_id=account_id
            )
        return notice_view(row)

    async def list_for(
        self, account_id: str, *, limit: int = 50, offset: int = 0
    ) -> list[NoticeView]:
        return [
            notice_view(n)
            for n in await self.repo.of_account(account_id, limit=limit, offset=offset)
        ]

    async def mark_read(self, account_id: str, notice_id: str) -> None:
        if not await self.repo.exists(account_id, notice_id):
            raise NotFound("no such notice")
        await self.repo.mark_read(account_id, notice_id, self.clock.now())

"""Delivers the outbox over SMTP with retries and exponential backoff.

With no ``CAICAINI_SMTP_URL`` (the embedded default) nothing is sent: mails stay in the
outbox, are logged (subject and recipient, never links or tokens), and can be read at the
development-only page ``/dev/mail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.logs import get_logger
from caicaini.mail import links
from caicaini.models.mail import OutboxEmail

log = get_logger(__name__)

MAX_ATTEMPTS = 12
BATCH = 50
CLAIM_LEASE = timedelta(minutes=2)


class Mailer(Protocol):
    async def deliver(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        """``smtp://user:pass@host:25``, ``smtps://host:465`` or ``smtp+starttls://host:587``."""
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=parts.scheme == "smtp+starttls",
        )

    async def deliver(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def build_message(mail: OutboxEmail, sender: str, secret_key: str) -> EmailMessage:
    """The mail as sent: its one-time links' tokens put in (``links``), only here."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<{mail.id}@caicaini>"
    message.set_content(links.reveal(mail.body_text, secret_key))
    return message


async def deliver_outbox(ctx: AppContext, mailer: Mailer | None = None) -> int:
    """Send what is due; returns how many went out. Safe in several processes: each row is
    claimed by moving its ``next_attempt_at`` forward before the network call."""
    if mailer is None:
        if not ctx.settings.smtp_url:
            return 0
        mailer = SmtpMailer.from_url(ctx.settings.smtp_url)
    sent = 0
    for mail_id in await _claim_due(ctx):
        async with ctx.transaction() as session:
            mail = await session.get(OutboxEmail, mail_id)
            if mail is None or mail.status != "pending":
                continue
            try:
                await mailer.deliver(
                    build_message(mail, ctx.settings.mail_from, ctx.settings.secret_key)
                )
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                mail.attempts += 1
                mail.last_error = f"{type(exc).__name__}: {exc}"[:500]
                mail.next_attempt_at = ctx.clock.now() + backoff(mail.attempts)
                if mail.attempts >= MAX_ATTEMPTS:
                    mail.status = "failed"
                log.warning("mail.delivery_failed", mail_id=mail.id, attempts=mail.attempts)
                continue
            mail.status = "sent"
            mail.attempts += 1
            mail.sent_at = ctx.clock.now()
            sent += 1
            log.info("mail.sent", mail_id=mail.id, template=mail.template)
    return sent


async def _claim_due(ctx: AppContext) -> list[str]:
    """Lease due rows by pushing ``next_attempt_at`` past now; another process skips them
    until the lease lapses (which only matters if this one dies mid-send)."""
    now = ctx.clock.now()
    async with ctx.transaction() as session:
        stmt = (
            select(OutboxEmail)
            .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
            .order_by(OutboxEmail.created_at)
            .limit(BATCH)
        )
        if not ctx.db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await session.scalars(stmt)).all())
        for row in rows:
            row.next_attempt_at = now + CLAIM_LEASE
        return [row.id for row in rows]

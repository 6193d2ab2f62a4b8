"""E-mail through an outbox: ``MailService.send`` renders a template and writes a row in the
caller's transaction, so a mail exists exactly when the action that sends it committed.
``caicaini.mail.sender`` delivers the rows later, with retries."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.logs import get_logger
from caicaini.models.mail import OutboxEmail

log = get_logger(__name__)

_env = Environment(
    loader=PackageLoader("caicaini.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Return (subject, body) for ``templates/<template>.txt``; its first line is the subject."""
    text = _env.get_template(f"{template}.txt").render(**context)
    subject, _, body = text.partition("\n")
    return subject.removeprefix("Subject:").strip(), body.lstrip("\n")


class MailService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    async def send(
        self,
        to: str,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        account_id: str | None = None,
    ) -> OutboxEmail:
        subject, body = render(template, {"public_url": self.public_url, **(context or {})})
        now = self.clock.now()
        mail = OutboxEmail(
            id=new_id("mail"),
            account_id=account_id,
            to_address=to,
            subject=subject,
            body_text=body,
            template=template,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        self.session.add(mail)
        await self.session.flush()
        log.info("mail.queued", mail_id=mail.id, to=to, subject=subject, template=template)
        return mail

"""The outbox goes out through a real SMTP server; when the server is down mails wait and
go out once it is back (after the backoff)."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.mail.sender import backoff, deliver_outbox
from caicaini.mail.service import MailService
from tests.accounts.helpers import outbox


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self) -> Inbox:
        self.controller.start()
        return self.inbox

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


async def queue_mail(ctx: AppContext, to: str = "ada@example.com") -> None:
    async with ctx.transaction() as session:
        await MailService(session, ctx.clock, ctx.settings.public_url).send(
            to, "notice", {"subject": "Hello from the outbox", "body": "It works."}
        )


async def test_mail_is_delivered_over_smtp(ctx: AppContext, smtp_port: int) -> None:
    await queue_mail(ctx)
    with SmtpServer(smtp_port) as inbox:
        assert await deliver_outbox(ctx) == 1
    [message] = inbox.messages
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Hello from the outbox"
    assert "It works." in message.get_payload()
    [mail] = await outbox(ctx)
    assert mail.status == "sent" and mail.sent_at == ctx.clock.now()


async def test_mail_waits_while_smtp_is_down_and_goes_out_when_it_returns(
    ctx: AppContext, clock: FrozenClock, smtp_port: int
) -> None:
    await queue_mail(ctx)

    assert await deliver_outbox(ctx) == 0  # nothing listens on the port
    [mail] = await outbox(ctx)
    assert mail.status == "pending" and mail.attempts == 1 and mail.last_error
    assert mail.next_attempt_at == clock.now() + backoff(1)

    with SmtpServer(smtp_port) as inbox:
        assert await deliver_outbox(ctx) == 0  # still backing off
        clock.advance(backoff(1) + timedelta(seconds=1))
        assert await deliver_outbox(ctx) == 1
    assert [m["Subject"] for m in inbox.messages] == ["Hello from the outbox"]
    [mail] = await outbox(ctx)
    assert mail.status == "sent" and mail.attempts == 2


async def test_without_smtp_mails_stay_in_the_outbox(ctx: AppContext) -> None:
    ctx.settings.smtp_url = ""
    await queue_mail(ctx)
    assert await deliver_outbox(ctx) == 0
    [mail] = await outbox(ctx)
    assert mail.status == "pending" and mail.attempts == 0

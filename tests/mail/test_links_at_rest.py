"""One-time links at rest (issue 12, item 4): the outbox never holds a working link, sent mail
is purged after the stated retention, a new password retires pending reset links, and link
mails are throttled per address and per account."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.mail.sender import deliver_outbox
from caicaini.mail.tasks import purge_sent
from caicaini.models.accounts import AccountToken
from caicaini.models.mail import OutboxEmail
from tests.accounts.helpers import PASSWORD, api_login, make_account, outbox
from tests.mail.test_smtp_delivery import SmtpServer, queue_mail

NEW_PASSWORD = "fresh-Secret-22"
LINK = re.compile(r"/reset-password\?token=([\w-]+)")


async def database_text(ctx: AppContext) -> str:
    """Every outbox and token column, as a database dump would show them."""
    async with ctx.transaction() as session:
        mails = (await session.scalars(select(OutboxEmail))).all()
        tokens = (await session.scalars(select(AccountToken))).all()
    rows = [vars(row) for row in [*mails, *tokens]]
    return repr([{k: v for k, v in row.items() if not k.startswith("_")} for row in rows])


async def test_the_outbox_holds_no_working_link_only_the_sent_mail_does(
    client: httpx.AsyncClient, ctx: AppContext, smtp_port: int
) -> None:
    await make_account(ctx)
    await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    [stored] = await outbox(ctx, "ada@example.com")
    assert "/reset-password?token=" in stored.body_text
    assert not LINK.search(stored.body_text)  # a placeholder stands where the token goes

    with SmtpServer(smtp_port) as inbox:
        assert await deliver_outbox(ctx) == 1
    [message] = inbox.messages
    sent = message.get_payload(decode=True).decode()
    match = LINK.search(sent)
    assert match, sent
    token = match.group(1)
    assert token not in await database_text(ctx)  # neither in the outbox nor in the tokens

    done = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.text
    assert await api_login(client, password=NEW_PASSWORD)


async def test_what_the_outbox_holds_does_not_reset_a_password(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    [stored] = await outbox(ctx, "ada@example.com")
    leaked = stored.body_text.split("token=", 1)[1].split()[0]
    for token in (leaked, leaked.strip("{}"), leaked.strip("{}").split(":", 1)[1]):
        r = await client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "new_password": NEW_PASSWORD},
        )
        assert r.status_code == 404, r.text  # no such link
    assert await api_login(client, password=PASSWORD)


async def test_the_development_outbox_page_shows_working_links(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    page = await client.get("/dev/mail")
    match = LINK.search(page.text)
    assert match and "caicaini-token" not in page.text
    done = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": match.group(1), "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 200, done.text


async def test_sent_mail_is_purged_after_the_retention_stated_on_the_privacy_page(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock, smtp_port: int
) -> None:
    ctx.settings.mail_retention_days = 12
    page = await client.get("/privacy")
    assert "deleted 12 days after delivery" in page.text

    await queue_mail(ctx, "old@example.com")
    with SmtpServer(smtp_port):
        assert await deliver_outbox(ctx) == 1
    clock.advance(timedelta(days=6))
    await queue_mail(ctx, "recent@example.com")
    with SmtpServer(smtp_port):
        assert await deliver_outbox(ctx) == 1
    ctx.settings.smtp_url = ""
    await queue_mail(ctx, "pending@example.com")  # never sent: kept whatever its age

    clock.advance(timedelta(days=6, seconds=1))
    assert await purge_sent(ctx) == 1
    assert sorted(m.to_address for m in await outbox(ctx)) == [
        "pending@example.com",
        "recent@example.com",
    ]
    clock.advance(timedelta(days=30))
    assert await purge_sent(ctx) == 1
    assert [m.to_address for m in await outbox(ctx)] == ["pending@example.com"]


async def test_a_password_change_retires_pending_reset_links(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    reset_link = (await client.get("/dev/mail")).text
    token = LINK.search(reset_link).group(1)  # type: ignore[union-attr]

    csrf = await api_login(client)
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"x-csrf-token": csrf},
    )
    assert changed.status_code == 204, changed.text

    stale = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "Other-pass-99"},
    )
    assert stale.status_code in (400, 409, 410), stale.text
    assert await api_login(client, password=NEW_PASSWORD)


async def test_a_successful_reset_retires_every_pending_reset_link(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    account = await make_account(ctx)
    await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    token = LINK.search((await client.get("/dev/mail")).text).group(1)  # type: ignore[union-attr]
    done = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.text
    async with ctx.transaction() as session:
        pending = (
            await session.scalars(
                select(AccountToken).where(
                    AccountToken.account_id == account.id, AccountToken.used_at.is_(None)
                )
            )
        ).all()
    assert pending == []
    replay = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "Other-pass-99"},
    )
    assert replay.status_code in (400, 409, 410), replay.text


async def test_thirty_reset_requests_queue_a_handful_of_mails_and_say_the_same(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await make_account(ctx)
    limit = ctx.settings.link_mails_per_hour
    answers = set()
    for _ in range(30):
        r = await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
        answers.add((r.status_code, r.text))
        clock.advance(timedelta(seconds=10))
    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "no@example.com"})
    assert answers == {(unknown.status_code, unknown.text)} == {(202, '{"accepted":true}')}
    assert len(await outbox(ctx, "ada@example.com")) == limit

    clock.advance(timedelta(hours=1))  # the window has moved on
    await client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
    assert len(await outbox(ctx, "ada@example.com")) == limit + 1


async def test_verification_mails_are_throttled_per_account_with_a_clear_429(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx, verified=False)
    csrf = await api_login(client)
    limit = ctx.settings.link_mails_per_hour
    for _ in range(limit):
        r = await client.post("/api/v1/auth/resend-verification", headers={"x-csrf-token": csrf})
        assert r.status_code == 202, r.text
    r = await client.post("/api/v1/auth/resend-verification", headers={"x-csrf-token": csrf})
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == "rate_limited"
    assert 0 < int(r.headers["retry-after"]) <= 3600
    assert len(await outbox(ctx, "ada@example.com")) == limit


async def test_address_change_mails_are_throttled_per_address_across_accounts(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    limit = ctx.settings.link_mails_per_hour
    for index in range(limit + 1):
        email = f"user{index}@example.com"
        await make_account(ctx, email)
        client.cookies.clear()
        csrf = await api_login(client, email)
        r = await client.post(
            "/api/v1/me/email",
            json={"new_email": "victim@example.com", "password": PASSWORD},
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == (202 if index < limit else 429), r.text
    assert len(await outbox(ctx, "victim@example.com")) == limit

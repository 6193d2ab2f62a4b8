"""Users in the console: found by e-mail, id, IP, device signal or key prefix; the user page
shows the whole picture; every action previews its effect, needs a reason (and, when
destructive, the e-mail typed out), goes through the service its CLI command uses, lands in
the audit log with the operator and the reason, and takes effect once when submitted twice."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from caicaini.accounts.repository import AccountRepository
from caicaini.api_keys import keyformat
from caicaini.context import AppContext
from caicaini.models.audit import AuditEntry
from caicaini.models.mail import OutboxEmail
from caicaini.trust.service import TrustService
from tests.accounts.helpers import audit_actions
from tests.console.helpers import act, as_operator, confirmation, preview
from tests.gateway.support import customer, issue_key, message_body
from tests.web.helpers import balance, make_account

DEVICE = "device-fingerprint-0123456789"


async def entries(ctx: AppContext, action: str) -> list[AuditEntry]:
    async with ctx.transaction() as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await session.scalars(stmt)).all())


async def mails_to(ctx: AppContext, email: str) -> list[OutboxEmail]:
    async with ctx.transaction() as session:
        stmt = select(OutboxEmail).where(OutboxEmail.to_address == email)
        return list((await session.scalars(stmt)).all())


async def email_of(ctx: AppContext, account_id: str) -> str:
    async with ctx.transaction() as session:
        row = await AccountRepository(session).get(account_id)
        assert row is not None
        return row.email


async def status_of(ctx: AppContext, account_id: str) -> str:
    async with ctx.transaction() as session:
        row = await AccountRepository(session).get(account_id)
        assert row is not None
        return row.status


async def test_search_by_email_id_ip_device_and_key_prefix(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await as_operator(client, ctx)
    grace = await customer(ctx, email="grace@example.com")
    linus = await make_account(ctx, "linus@example.com")
    key = await issue_key(ctx, grace)
    async with ctx.transaction() as session:
        trust = TrustService(session, ctx.clock)
        await trust.record(grace, ip="203.0.113.7", fingerprint=DEVICE, event="signup")
        await trust.record(linus.id, ip="198.51.100.2", fingerprint=DEVICE, event="signup")

    async def found(query: str) -> str:
        page = await client.get("/console/users", params={"q": query})
        assert page.status_code == 200
        return page.text.split('id="users"', 1)[1].split("</table>", 1)[0]

    by_email = await found("GRACE@")
    assert "grace@example.com" in by_email and "linus@example.com" not in by_email
    assert "<td>plus</td>" in by_email and ">active<" in by_email
    assert "linus@example.com" in await found(linus.id)
    by_ip = await found("203.0.113.7")
    assert "grace@example.com" in by_ip and "linus@example.com" not in by_ip
    device = await found(hashlib.sha256(DEVICE.encode()).hexdigest()[:16])
    assert "grace@example.com" in device and "linus@example.com" in device
    prefix = keyformat.hint(key).split("…")[0]
    by_key = await found(prefix)
    assert "grace@example.com" in by_key and "<td>key</td>" in by_key
    assert "grace@example.com" in await found(key)
    assert "No matching users." in await found("nobody-here")


async def test_the_user_page_shows_the_whole_picture(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    grace = await customer(ctx, email="grace@example.com", credits=1500)
    key = await issue_key(ctx, grace, name="laptop")
    second = await make_account(ctx, "grace2@example.com")
    async with ctx.transaction() as session:
        trust = TrustService(session, ctx.clock)
        await trust.record(grace, ip="203.0.113.7", fingerprint=DEVICE, event="signup")
        await trust.record(second.id, ip="203.0.113.8", fingerprint=DEVICE, event="signup")
    sent = await client.post(
        "/v1/messages", json=message_body(), headers={"authorization": f"Bearer {key}"}
    )
    assert sent.status_code == 200
    page = (await client.get(f"/console/users/{grace}")).text
    assert 'id="user-balance"' in page and grace in page
    for section in ('id="grants"', 'id="usage"', 'class="bars"', 'id="keys"', 'id="related"'):
        assert section in page, section
    keys = page.split('id="keys"', 1)[1].split("</table>", 1)[0]
    assert "laptop" in keys and keyformat.hint(key) in keys and key not in page
    related = page.split('id="related"', 1)[1].split("</table>", 1)[0]
    assert "grace2@example.com" in related and "device" in related
    other = (await client.get(f"/console/users/{second.id}")).text
    assert "second free account" in other
    assert token


async def test_suspend_stops_the_key_at_once_then_reinstate(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    grace = await customer(ctx, email="grace@example.com")
    key = await issue_key(ctx, grace)
    headers = {"authorization": f"Bearer {key}"}
    assert (
        await client.post("/v1/messages", json=message_body(), headers=headers)
    ).status_code == 200

    shown = await preview(client, token, grace, "suspend", reason="spam campaign")
    assert shown.status_code == 200
    assert "1 API key(s) stop working at once" in shown.text and "spam campaign" in shown.text
    assert 'name="confirm_text"' in shown.text and 'name="confirm_text" value' not in shown.text
    wrong = await client.post(
        f"/console/users/{grace}/actions", data=confirmation(shown.text, token, "yes")
    )
    assert wrong.status_code == 400 and "to confirm; nothing was changed" in wrong.text
    assert await status_of(ctx, grace) == "active"

    form = confirmation(shown.text, token, "grace@example.com")
    done = await client.post(f"/console/users/{grace}/actions", data=form)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=suspend")
    again = await client.post(f"/console/users/{grace}/actions", data=form)  # double submit
    assert again.status_code == 303
    assert await status_of(ctx, grace) == "suspended"
    refused = await client.post("/v1/messages", json=message_body(), headers=headers)
    assert refused.status_code == 403 and "suspended" in refused.text
    [entry] = await entries(ctx, "account.status_changed")
    op = await client.get("/console/users?q=op@example.com")
    assert entry.actor_kind == "operator" and entry.actor_id and entry.actor_id in op.text
    assert entry.details["reason"] == "spam campaign" and entry.details["to"] == "suspended"
    assert any("suspended" in m.subject for m in await mails_to(ctx, "grace@example.com"))
    page = await client.get(f"/console/users/{grace}")
    assert 'id="user-status">suspended<' in page.text and "stopped" in page.text
    assert entry.actor_id in page.text  # the full id, not cut

    back = await act(client, token, grace, "reinstate", reason="appeal accepted")
    assert back.status_code == 303
    assert await status_of(ctx, grace) == "active"
    assert (
        await client.post("/v1/messages", json=message_body(), headers=headers)
    ).status_code == 200


async def test_the_status_control_has_no_default_choice(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    acct = await make_account(ctx)
    await act(client, token, acct.id, "suspend", reason="abuse", confirm=acct.email)
    page = (await client.get(f"/console/users/{acct.id}")).text
    status = page.split('id="status-form"', 1)[1].split("</form>", 1)[0]
    assert 'value="ban"' in status and 'value="reinstate"' in status
    assert 'value="suspend"' not in status and "checked" not in status and "selected" not in status
    none_chosen = await client.post(
        f"/console/users/{acct.id}/actions", data={"csrf_token": token, "reason": "x"}
    )
    assert none_chosen.status_code == 400 and "choose an action" in none_chosen.text


async def test_ban_then_forfeit_once(client: httpx.AsyncClient, ctx: AppContext) -> None:
    token = await as_operator(client, ctx)
    grace = await customer(ctx, email="grace@example.com", credits=700)
    banned = await act(client, token, grace, "ban", reason="fraud", confirm="grace@example.com")
    assert banned.status_code == 303 and await status_of(ctx, grace) == "banned"
    left = await balance(ctx, grace)
    shown = await preview(client, token, grace, "forfeit", reason="fraud, Terms 5")
    assert f"{left:,} unspent credits leave the balance" in shown.text
    form = confirmation(shown.text, token, "grace@example.com")
    for _ in range(2):
        assert (await client.post(f"/console/users/{grace}/actions", data=form)).status_code == 303
    assert await balance(ctx, grace) == 0
    [entry] = await entries(ctx, "credits.forfeited")
    assert entry.details == {"credits": left, "reason": "fraud, Terms 5"}
    assert (
        len([m for m in await mails_to(ctx, "grace@example.com") if "forfeited" in m.subject]) == 1
    )


async def test_credit_adjustment_previews_the_new_balance_and_applies_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    acct = await make_account(ctx)
    bad = await preview(client, token, acct.id, "credits", amount="1.5", reason="outage")
    assert bad.status_code == 400 and "whole number" in bad.text
    shown = await preview(client, token, acct.id, "credits", amount="500", reason="outage credit")
    assert "the balance goes from 0 to 500" in shown.text
    assert 'name="confirm_text"' not in shown.text  # adding credits is not destructive
    form = confirmation(shown.text, token, None)
    for _ in range(2):
        assert (
            await client.post(f"/console/users/{acct.id}/actions", data=form)
        ).status_code == 303
    assert await balance(ctx, acct.id) == 500
    too_much = await preview(client, token, acct.id, "credits", amount="-600", reason="x")
    assert too_much.status_code == 400 and "only 500 credits are available" in too_much.text
    take = await preview(client, token, acct.id, "credits", amount="-200", reason="mistake")
    assert 'name="confirm_text"' in take.text  # taking credits out is
    done = await client.post(
        f"/console/users/{acct.id}/actions", data=confirmation(take.text, token, acct.email)
    )
    assert done.status_code == 303 and await balance(ctx, acct.id) == 300
    assert [e.details["amount"] for e in await entries(ctx, "credits.adjusted")] == [500, -200]


async def test_revoke_a_key_resend_verification_and_clear_a_lockout(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    grace = await customer(ctx, email="grace@example.com")
    key = await issue_key(ctx, grace)
    page = (await client.get(f"/console/users/{grace}")).text
    key_id = page.split('id="key-', 1)[1].split('"', 1)[0]
    revoked = await act(
        client, token, grace, "revoke-key", key_id=key_id, reason="posted on a forum",
        confirm="grace@example.com",
    )  # fmt: skip
    assert revoked.status_code == 303
    headers = {"authorization": f"Bearer {key}"}
    assert (
        await client.post("/v1/messages", json=message_body(), headers=headers)
    ).status_code == 401
    [entry] = await entries(ctx, "api_key.revoked")
    assert entry.details["note"] == "posted on a forum" and entry.actor_id

    unverified = await make_account(ctx, "new@example.com", verified=False)
    sent = await act(client, token, unverified.id, "resend-verification", reason="lost mail")
    assert sent.status_code == 303
    assert any("verify-email" in m.body_text for m in await mails_to(ctx, "new@example.com"))

    for _ in range(3):
        await client.post("/login", data={"email": "grace@example.com", "password": "wrong-1234"})
    async with ctx.transaction() as session:
        await AccountRepository(session).add_failure("account:grace@example.com", ctx.clock.now())
    page = (await client.get(f"/console/users/{grace}")).text
    assert 'id="clear-lockout-form"' in page
    cleared = await act(client, token, grace, "clear-lockout", reason="owner called")
    assert cleared.status_code == 303
    assert "0 failed of" in (await client.get(f"/console/users/{grace}")).text
    assert {"account.verification_resent", "account.lockout_cleared"} <= set(
        await audit_actions(ctx)
    )

"""Duplicate-account signals and the sign-up rules, through sign-up (the JSON API records the
signals) and the console: groups of accounts sharing a device or a sign-up address with their
states; a banned account's device refuses a sign-up; a second free account on a device gets no
free allowance and the console says why; the rules can be changed, with a reason, audited."""

from __future__ import annotations

import httpx

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.ledger.service import LedgerService
from caicaini.subscriptions.service import SubscriptionService
from caicaini.trust.service import fingerprint_value
from tests.accounts.helpers import account_by_email, audit_actions, sign_up_body
from tests.console.helpers import as_operator
from tests.incidents.support import audit_of

DEVICE = "d" * 64


async def sign_up(client: httpx.AsyncClient, email: str, device: str = DEVICE) -> httpx.Response:
    return await client.post(
        "/api/v1/accounts", json=sign_up_body(email, device_fingerprint=device)
    )


async def ban(ctx: AppContext, email: str) -> None:
    from caicaini.accounts.moderation import ModerationService

    account = await account_by_email(ctx, email)
    assert account is not None
    async with ctx.transaction() as session:
        await ModerationService(session, ctx.clock, ctx.settings).ban(
            account.id, reason="card fraud", actor=Actor("operator", "acct_op")
        )


async def free_allowance(ctx: AppContext, email: str) -> int:
    account = await account_by_email(ctx, email)
    assert account is not None
    async with ctx.transaction() as session:
        await SubscriptionService(session, ctx.clock).grant_free_allowance(account.id)
        return await LedgerService(session, ctx.clock).balance(account.id)


async def test_a_banned_accounts_device_cannot_sign_up_unless_the_rule_is_off(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    assert (await sign_up(client, "mallory@example.com")).status_code == 201
    assert (await sign_up(client, "mallory-2@example.com")).status_code == 201
    await ban(ctx, "mallory@example.com")
    # Another network, the same device: refused.
    refused = await client.post(
        "/api/v1/accounts",
        json=sign_up_body("evader@example.com", device_fingerprint=DEVICE),
        headers={"x-forwarded-for": "198.51.100.99"},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "signup_blocked"
    assert await account_by_email(ctx, "evader@example.com") is None

    token = await as_operator(client, ctx)
    page = await client.get("/console/signals")
    assert "A device tied to a suspended or banned account <strong>cannot</strong>" in page.text
    assert "new sign-ups refused" in page.text and "mallory@example.com" in page.text
    missing = await client.post("/console/signals/rules", data={"csrf_token": token})
    assert missing.status_code == 400 and "give a reason" in missing.text
    changed = await client.post(
        "/console/signals/rules",
        data={"csrf_token": token, "second_free_by_device": "on", "reason": "shared lab machines"},
    )  # fmt: skip
    assert changed.status_code == 303
    page = await client.get("/console/signals")
    assert "A device tied to a suspended or banned account <strong>can</strong>" in page.text
    [entry] = await audit_of(ctx, "trust.rules_changed")
    assert entry.details == {
        "changed": {"block_linked_devices": False, "block_linked_ips": False},
        "reason": "shared lab machines",
    }  # fmt: skip
    assert entry.actor_kind == "operator" and entry.actor_id is not None
    assert (await sign_up(client, "lab-user@example.com")).status_code == 201


async def test_a_second_free_account_on_a_device_gets_nothing_and_the_console_says_why(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from tests.web.helpers import catalogue

    await catalogue(ctx)
    assert (await sign_up(client, "first@example.com")).status_code == 201
    assert (await sign_up(client, "second@example.com")).status_code == 201
    assert (await sign_up(client, "elsewhere@example.com", "e" * 64)).status_code == 201
    assert await free_allowance(ctx, "first@example.com") == 200
    assert await free_allowance(ctx, "second@example.com") == 0
    assert await free_allowance(ctx, "elsewhere@example.com") == 200

    await as_operator(client, ctx)
    page = await client.get("/console/signals?window=24h")
    groups = page.text.split('class="card spaced group"')[1:]
    device = fingerprint_value(DEVICE) or ""
    [device_group] = [g for g in groups if f"<h3>device {device[:12]}…</h3>" in g]
    assert "first@example.com" in device_group and "elsewhere@example.com" not in device_group
    second_row = device_group.split("second@example.com", 1)[1].split("</tr>", 1)[0]
    assert "no free allowance" in second_row
    assert (
        "no free allowance" not in device_group.split("first@example.com", 1)[1].split("</tr>")[0]
    )
    second = await account_by_email(ctx, "second@example.com")
    assert second is not None
    user = await client.get(f"/console/users/{second.id}")
    assert "second free account" in user.text and "no free allowance" in user.text
    assert "account.signed_up" in await audit_actions(ctx)


async def test_groups_keep_to_the_window(client: httpx.AsyncClient, ctx: AppContext) -> None:
    from datetime import timedelta

    assert (await sign_up(client, "old@example.com")).status_code == 201
    ctx.clock.advance(timedelta(days=10))  # type: ignore[attr-defined]
    assert (await sign_up(client, "new@example.com")).status_code == 201
    await as_operator(client, ctx)
    week = await client.get("/console/signals?window=7d")
    assert 'id="no-groups"' in week.text
    ever = await client.get("/console/signals?window=all")
    assert "old@example.com" in ever.text and "new@example.com" in ever.text

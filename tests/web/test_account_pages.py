"""Account pages: the data export as a JSON download (every section, never a secret, only the
owner's data); signing up again with a closed account's address says it was closed; a second
free account on one device is told why it has no credits; the dev mail page says what became
of each mail instead of "pending" forever."""

from __future__ import annotations

import httpx

from caicaini.accounts.closure import ClosureService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.mail.sender import deliver_outbox
from tests.gateway.support import issue_key
from tests.mail.test_smtp_delivery import SmtpServer, queue_mail
from tests.web.helpers import PASSWORD, csrf_of, login
from tests.web.test_journey import signup_form
from tests.web.usage_support import paying_customer, send, web_message


async def test_the_data_export_is_a_json_download_of_everything_but_secrets(
    gclient: httpx.AsyncClient, gctx: AppContext
) -> None:
    account_id = await paying_customer(gctx)
    secret = await issue_key(gctx, account_id, name="laptop")
    sent = await send(gclient, secret)
    await web_message(gctx, account_id, gctx.clock.now(), credits=2)
    bob = await paying_customer(gctx, "bob@example.com")
    await send(gclient, await issue_key(gctx, bob, name="bobs-key"))
    await login(gclient)
    settings = await gclient.get("/settings")
    assert 'id="export"' in settings.text and 'href="/settings/export.json"' in settings.text

    response = await gclient.get("/settings/export.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert 'filename="caicaini-export-2026-11-26.json"' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert list(data)[:2] == ["format", "exported_at"]
    for section in ("profile", "grants", "ledger", "usage", "receipts", "payments", "api_keys",
                    "guardrails", "notices", "terms_acceptances"):  # fmt: skip
        assert section in data, section
    assert list(data).index("profile") < list(data).index("usage") < list(data).index("api_keys")
    assert data["profile"]["email"] == "ada@example.com"
    assert {g["kind"] for g in data["grants"]} == {"subscription", "topup"}
    assert {e["kind"] for e in data["ledger"]} >= {"grant", "hold", "settle"}
    assert len(data["usage"]) == 2 and len(data["receipts"]) == 1
    assert data["receipts"][0]["payload"]["request_id"] == sent.headers["caicaini-request-id"]
    assert [k["name"] for k in data["api_keys"]] == ["laptop"]
    assert set(data["payments"]) == {"orders", "payments"}
    # Never a secret, and nothing of Bob's.
    text = response.text
    assert secret not in text and secret[:20] not in text
    assert "key_hash" not in text and "password" not in text and "argon2" not in text
    assert "bob@example.com" not in text and "bobs-key" not in text and bob not in text


async def test_signing_up_with_a_closed_accounts_address_says_it_was_closed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = csrf_of((await client.get("/signup")).text)
    assert (await client.post("/signup", data=signup_form(token))).status_code == 200
    from tests.accounts.helpers import account_by_email

    account = await account_by_email(ctx, "grace@example.com")
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).close_account(
            account.id, reason="by the owner", actor=Actor.system()
        )
    token = csrf_of((await client.get("/signup")).text)
    again = await client.post("/signup", data=signup_form(token, device_fingerprint="e" * 64))
    assert again.status_code == 409
    assert "The account with this e-mail address was closed (26 November 2026)" in again.text
    assert "cannot be reopened" in again.text
    api = await client.post(
        "/api/v1/accounts",
        json={"email": "grace@example.com", "password": PASSWORD,
              "date_of_birth": "1985-12-09", "country": "US"},
    )  # fmt: skip
    assert api.status_code == 409 and api.json()["error"]["code"] == "email_of_closed_account"
    # An address in use by an open account still gets the usual answer.
    open_one = await client.post("/signup", data=signup_form(token, email="lin@example.com"))
    assert open_one.status_code == 200
    taken = await client.post("/signup", data=signup_form(token, email="lin@example.com"))
    assert taken.status_code == 409 and "already exists" in taken.text


async def test_a_second_free_account_on_one_device_is_told_why_it_has_no_credits(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from caicaini.subscriptions.tasks import free_allowances
    from tests.accounts.helpers import account_by_email, last_link
    from tests.web.helpers import catalogue

    await catalogue(ctx)
    for email in ("first@example.com", "second@example.com"):
        token = csrf_of((await client.get("/signup")).text)
        done = await client.post("/signup", data=signup_form(token, email=email))
        assert done.status_code == 200
        await client.get(await last_link(ctx, email, "/verify-email"))
    await free_allowances(ctx)

    await login(client, "second@example.com")
    second = await client.get("/dashboard")
    assert 'id="balance">0<' in second.text
    assert 'id="second-free-account"' in second.text
    assert "another account was already opened on this device" in second.text
    await client.post("/logout", data={"csrf_token": csrf_of(second.text)})

    await login(client, "first@example.com")
    first = await client.get("/dashboard")
    assert 'id="second-free-account"' not in first.text
    assert 'id="balance">0<' not in first.text
    assert (await account_by_email(ctx, "first@example.com")).status == "active"


async def test_dev_mail_says_what_became_of_each_mail(
    client: httpx.AsyncClient, ctx: AppContext, smtp_port: int
) -> None:
    smtp_url = ctx.settings.smtp_url
    ctx.settings.smtp_url = None
    await queue_mail(ctx)
    kept = await client.get("/dev/mail")
    assert "kept in the outbox" in kept.text and "No SMTP server is configured" in kept.text

    ctx.settings.smtp_url = smtp_url
    queued = await client.get("/dev/mail")
    assert "queued" in queued.text and "kept in the outbox" not in queued.text
    with SmtpServer(smtp_port):
        assert await deliver_outbox(ctx) == 1
    sent = await client.get("/dev/mail")
    assert '<span class="badge ok">sent</span> 12:00:00' in sent.text
    assert "queued" not in sent.text.split("<h1>", 1)[1]

"""Who may open the console: anonymous visitors are sent to log in, customers get 403 on
every console URL, support reads and adds notes but gets 403 on every admin action (and
nothing changes), admin does everything. An action without a reason, or with an expired
CSRF token, changes nothing and says why."""

from __future__ import annotations

import httpx

from caicaini.accounts.repository import AccountRepository
from caicaini.context import AppContext
from caicaini.payments.repository import PaymentRepository
from tests.accounts.helpers import audit_actions
from tests.console.helpers import as_operator, confirmation, preview
from tests.console.payment_support import manual_claim
from tests.web.helpers import balance, catalogue, login, make_account

PAGES = ("/console", "/console/users", "/console/payments", "/console/audit")


async def test_anonymous_visitors_go_to_login(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/console")


async def test_customers_cannot_open_any_console_url(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    acct = await make_account(ctx)
    token = await login(client)
    for path in (*PAGES, f"/console/users/{acct.id}", "/console/users?q=ada"):
        page = await client.get(path)
        assert page.status_code == 403 and "Only operators" in page.text
    response = await preview(client, token, acct.id, "credits", amount="500", reason="self")
    assert response.status_code == 403
    note = await client.post(
        f"/console/users/{acct.id}/notes", data={"csrf_token": token, "note": "hi"}
    )
    assert note.status_code == 403
    assert await balance(ctx, acct.id) == 0
    assert 'href="/console"' not in (await client.get("/dashboard")).text


async def test_support_reads_and_adds_notes_but_gets_403_on_admin_actions(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx, role="support")
    account_id, order_id = await manual_claim(ctx)
    for path in (*PAGES, f"/console/users/{account_id}"):
        assert (await client.get(path)).status_code == 200, path
    user = await client.get(f"/console/users/{account_id}")
    assert 'id="console-role">support<' in user.text and 'id="admin-only"' in user.text
    assert 'id="status-form"' not in user.text
    before = await audit_actions(ctx)
    for action, fields in (
        ("suspend", {"reason": "abuse"}),
        ("credits", {"amount": "500", "reason": "gift"}),
        ("forfeit", {"reason": "abuse"}),
    ):
        for step in ("preview", "apply"):
            refused = await preview(client, token, account_id, action, step=step, **fields)
            assert refused.status_code == 403 and "needs the admin role" in refused.text
    for decision in ("approve", "reject"):
        refused = await client.post(
            f"/console/payments/{order_id}/{decision}", data={"csrf_token": token, "reason": "x"}
        )
        assert refused.status_code == 403
    assert await audit_actions(ctx) == before
    assert await balance(ctx, account_id) == 0
    async with ctx.transaction() as session:
        row = await AccountRepository(session).get(account_id)
        order = await PaymentRepository(session).order(order_id)
        assert row is not None and row.status == "active"
        assert order is not None and order.status == "claimed"
    noted = await client.post(
        f"/console/users/{account_id}/notes",
        data={"csrf_token": token, "note": "Asked about a refund by e-mail."},
    )
    assert noted.status_code == 303
    page = await client.get(noted.headers["location"])
    assert "Note added." in page.text and "Asked about a refund by e-mail." in page.text


async def test_no_reason_or_an_expired_csrf_token_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    acct = await make_account(ctx)
    before = await audit_actions(ctx)
    missing = await preview(client, token, acct.id, "suspend", reason=" ")
    assert missing.status_code == 400 and "give a reason" in missing.text
    applied = await preview(
        client, token, acct.id, "suspend", step="apply", confirm_text=acct.email
    )
    assert applied.status_code == 400 and "give a reason" in applied.text
    expired = await preview(
        client, "an-old-token", acct.id, "suspend", step="apply", reason="abuse",
        confirm_text=acct.email,
    )  # fmt: skip
    assert expired.status_code == 403 and "This form has expired" in expired.text
    empty_note = await client.post(
        f"/console/users/{acct.id}/notes", data={"csrf_token": token, "note": "  "}
    )
    assert empty_note.status_code == 400 and "the note is empty" in empty_note.text
    assert await audit_actions(ctx) == before
    async with ctx.transaction() as session:
        row = await AccountRepository(session).get(acct.id)
        assert row is not None and row.status == "active"


async def test_another_accounts_key_is_not_found(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    acct = await make_account(ctx)
    missing = await preview(client, token, acct.id, "revoke-key", key_id="key_x", reason="leak")
    assert missing.status_code == 404
    assert (await client.get("/console/users/acct_nobody")).status_code == 404


async def test_approving_a_manual_transfer_grants_its_credits_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    account_id, order_id = await manual_claim(ctx)
    home = await client.get("/console")
    assert "1 payment waiting for review" in home.text
    queue = await client.get("/console/payments")
    assert f'id="review-{order_id}"' in queue.text and "ada@example.com" in queue.text
    assert "deadbeef00112233" in queue.text
    form = {"csrf_token": token, "reason": "transfer seen on chain"}
    shown = await client.post(f"/console/payments/{order_id}/approve", data=form)
    assert "the balance goes from 0 to 2,000" in shown.text
    assert await balance(ctx, account_id) == 0  # a preview changes nothing
    form = confirmation(shown.text, token, None)
    approved = await client.post(f"/console/payments/{order_id}/approve", data=form)
    assert approved.status_code == 303
    assert await balance(ctx, account_id) == 2000
    again = await client.post(f"/console/payments/{order_id}/approve", data=form)
    assert again.status_code == 409 and "nothing waiting for a decision" in again.text
    assert await balance(ctx, account_id) == 2000
    assert "Nothing waiting for review" in (await client.get("/console/payments")).text
    assert "payment.approved" in (await client.get("/console/audit")).text


async def test_rejecting_needs_a_reason(client: httpx.AsyncClient, ctx: AppContext) -> None:
    token = await as_operator(client, ctx)
    account_id, order_id = await manual_claim(ctx)
    url = f"/console/payments/{order_id}/reject"
    missing = await client.post(url, data={"csrf_token": token, "reason": " "})
    assert missing.status_code == 400 and "give a reason" in missing.text
    no_csrf = await client.post(url, data={"reason": "no such transaction"})
    assert no_csrf.status_code == 403
    done = await client.post(url, data={"csrf_token": token, "reason": "no such transaction"})
    assert done.status_code == 303
    async with ctx.transaction() as session:
        order = await PaymentRepository(session).order(order_id)
        assert order is not None and order.status == "rejected"
    assert await balance(ctx, account_id) == 0

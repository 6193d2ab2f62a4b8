"""A new user, through the pages: sign up → mail → verify → log in → change password →
log out. Plus the ways a form can go wrong, each with a clear message and no change."""

from __future__ import annotations

import re

import httpx

from caicaini.accounts.closure import ClosureService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.models.accounts import Account
from tests.accounts.helpers import (
    PASSWORD,
    account_by_email,
    audit_actions,
    count,
    last_link,
    make_account,
)

NEW_PASSWORD = "brand-New-secret-4"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def form_token(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200
    return csrf_of(page.text)


def signup_form(token: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "email": "grace@example.com",
        "password": PASSWORD,
        "date_of_birth": "1985-12-09",
        "country": "US",
        "accept_terms": "yes",
        "device_fingerprint": "f" * 64,
    }
    form.update(overrides)
    return form


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    token = await form_token(client, "/login")
    return await client.post(
        "/login", data={"csrf_token": token, "email": email, "password": password}
    )


async def test_new_user_journey(client: httpx.AsyncClient, ctx: AppContext) -> None:
    token = await form_token(client, "/signup")
    done = await client.post("/signup", data=signup_form(token))
    assert done.status_code == 200
    assert "Check your e-mail" in done.text

    link = await last_link(ctx, "grace@example.com", "/verify-email")
    verified = await client.get(link)
    assert verified.status_code == 200 and "verified" in verified.text

    logged_in = await login(client, "grace@example.com", PASSWORD)
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/dashboard"
    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "grace@example.com" in dashboard.text and "not verified" not in dashboard.text

    settings_csrf = csrf_of((await client.get("/settings")).text)
    changed = await client.post(
        "/settings/password",
        data={
            "csrf_token": settings_csrf,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert "password was changed" in (await client.get(changed.headers["location"])).text

    out = await client.post("/logout", data={"csrf_token": settings_csrf})
    assert out.status_code == 303
    assert (await client.get("/dashboard")).headers["location"].startswith("/login")

    assert (await login(client, "grace@example.com", PASSWORD)).status_code == 401
    assert (await login(client, "grace@example.com", NEW_PASSWORD)).status_code == 303
    assert await audit_actions(ctx) == [
        "account.signed_up",
        "account.email_verified",
        "account.login",
        "account.password_changed",
        "account.login_failed",
        "account.login",
    ]


async def test_under_13_sees_a_clear_message_on_the_form(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await form_token(client, "/signup")
    page = await client.post("/signup", data=signup_form(token, date_of_birth="2014-01-01"))
    assert page.status_code == 400
    assert "at least 13 years old" in page.text
    assert 'value="grace@example.com"' in page.text  # what was typed is kept
    assert await count(ctx, Account) == 0


async def test_missing_csrf_token_is_refused_and_nothing_created(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await client.get("/signup")
    form = signup_form("")
    del form["csrf_token"]
    page = await client.post("/signup", data=form)
    assert page.status_code == 403
    assert "did not come from this site" in page.text
    assert await count(ctx, Account) == 0


async def test_forged_csrf_token_is_refused(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await client.get("/signup")
    page = await client.post("/signup", data=signup_form("forged-token-value"))
    assert page.status_code == 403
    assert await count(ctx, Account) == 0


async def test_weak_password_and_bad_email_re_render_the_form(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await form_token(client, "/signup")
    weak = await client.post("/signup", data=signup_form(token, password="abc"))
    assert weak.status_code == 400 and "at least 10 characters" in weak.text
    bad = await client.post("/signup", data=signup_form(token, email="grace@"))
    assert bad.status_code == 400 and "not valid" in bad.text
    assert await count(ctx, Account) == 0


async def test_replayed_verification_link_shows_a_clear_error(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await form_token(client, "/signup")
    await client.post("/signup", data=signup_form(token))
    link = await last_link(ctx, "grace@example.com", "/verify-email")
    assert (await client.get(link)).status_code == 200
    replay = await client.get(link)
    assert replay.status_code == 409
    assert "already been used" in replay.text


async def test_suspended_user_sees_why_on_login(client: httpx.AsyncClient, ctx: AppContext) -> None:
    account = await make_account(ctx)
    async with ctx.transaction() as session:
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            account.id, "suspended", "payment reversed", Actor("operator", "acct_op")
        )
    page = await login(client, "ada@example.com", PASSWORD)
    assert page.status_code == 403
    assert "This account is suspended." in page.text and "payment reversed" in page.text


async def test_dashboard_requires_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"


async def test_login_redirects_only_to_local_paths(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    token = await form_token(client, "/login")
    response = await client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "ada@example.com",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/dashboard"


async def test_password_reset_by_email(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx)
    token = await form_token(client, "/forgot-password")
    sent = await client.post(
        "/forgot-password", data={"csrf_token": token, "email": "ada@example.com"}
    )
    assert sent.status_code == 200
    link = await last_link(ctx, "ada@example.com", "/reset-password")
    page = await client.get(link)
    reset = await client.post(
        "/reset-password",
        data={
            "csrf_token": csrf_of(page.text),
            "token": link.split("token=")[1],
            "new_password": NEW_PASSWORD,
        },
    )
    assert reset.status_code == 200 and "Password changed" in reset.text
    assert (await login(client, "ada@example.com", NEW_PASSWORD)).status_code == 303


async def test_close_account_from_settings(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx)
    await login(client, "ada@example.com", PASSWORD)
    settings = await client.get("/settings")
    assert "forfeited" in settings.text
    closed = await client.post(
        "/settings/close",
        data={"csrf_token": csrf_of(settings.text), "password": PASSWORD, "reason": "moving on"},
    )
    assert closed.status_code == 200 and "Account closed" in closed.text
    account = await account_by_email(ctx, "ada@example.com")
    assert account is not None and account.status == "closed"
    assert (await client.get("/dashboard")).status_code == 303

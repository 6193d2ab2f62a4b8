"""Public pages: landing, terms, static assets, and the development-only mail viewer."""

from __future__ import annotations

import httpx

from caicaini.context import AppContext


async def test_landing_page_links_to_sign_up(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert 'href="/signup"' in page.text and "/static/style.css" in page.text


async def test_terms_show_the_real_last_updated_date(client: httpx.AsyncClient) -> None:
    page = await client.get("/terms")
    assert page.status_code == 200
    assert "Last updated: 26 November 2026" in page.text
    assert "<h2>2. Accounts</h2>" in page.text
    assert "One person, one account." in page.text
    assert '<a href="/settings">account settings</a>' in page.text


async def test_static_assets_are_served(client: httpx.AsyncClient) -> None:
    css = await client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    js = await client.get("/static/fingerprint.js")
    assert js.status_code == 200 and "SHA-256" in js.text
    assert (await client.get("/static/../config.py")).status_code == 404


async def test_dev_mail_lists_the_outbox(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await client.post(
        "/api/v1/accounts",
        json={
            "email": "ada@example.com",
            "password": "correct-Horse-7",
            "date_of_birth": "1990-01-01",
            "country": "FR",
        },
    )
    page = await client.get("/dev/mail")
    assert page.status_code == 200
    assert "Confirm your e-mail address" in page.text and "/verify-email?token=" in page.text


async def test_dev_mail_is_hidden_in_production(client: httpx.AsyncClient, ctx: AppContext) -> None:
    ctx.settings.env = "production"
    assert (await client.get("/dev/mail")).status_code == 404

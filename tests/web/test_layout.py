"""The shared layout: error pages for browsers (404, 403, 405, 500 with the request id) while
the API and the gateway keep JSON; where logging in sends you back to; templates free of
inline script, style and event handlers (the Content-Security-Policy allows only our files)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from caicaini.context import AppContext
from caicaini.main import create_app
from tests.web.helpers import PASSWORD, csrf_of, login, make_account

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
TEMPLATE_DIRS = [
    Path(__file__).parents[2] / "src/caicaini/web/templates",
    Path(__file__).parents[2] / "src/caicaini/console/templates",
]


async def test_unknown_url_in_a_browser_is_an_html_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and "<code>/no-such-page</code>" in page.text
    assert 'href="/signup"' in page.text  # the logged-out header


async def test_unknown_url_keeps_the_logged_in_header(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await login(client)
    page = await client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404
    assert "ada@example.com" in page.text and "Log out" in page.text
    assert "Go to your dashboard" in page.text


async def test_api_and_gateway_keep_json_errors(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/no-such-thing", "/v1/no-such-thing", "/no-such-page"):
        headers = {} if path == "/no-such-page" else HTML
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.json()["error"]["code"] == "not_found"
    messages = await client.get("/v1/messages", headers=HTML)
    assert messages.status_code == 405 and messages.json()["type"] == "error"


async def test_forbidden_page_is_html(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await make_account(ctx)
    await login(client)
    page = await client.get("/console", headers=HTML)
    assert page.status_code == 403
    assert "Not allowed" in page.text and "Only operators may do this." in page.text


async def test_a_form_target_opened_as_a_link_says_so_logged_in(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    await login(client)
    page = await client.get("/billing/buy", headers=HTML)
    assert page.status_code == 405
    assert "cannot be opened directly" in page.text and "Log out" in page.text


@pytest.fixture
async def failing_app(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(ctx=ctx)

    async def broken_page() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/dashboard/broken", broken_page)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_server_error_page_shows_the_request_id(failing_app: httpx.AsyncClient) -> None:
    page = await failing_app.get("/dashboard/broken", headers=HTML)
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    match = re.search(r'<code id="request-id">(req_[^<]+)</code>', page.text)
    assert match, page.text
    assert "a bug" not in page.text and "Traceback" not in page.text


async def test_login_from_a_form_only_url_lands_on_the_dashboard(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """Bug: logging in from ``/login?next=/billing/buy`` landed on "method not allowed"."""
    await make_account(ctx)
    page = await client.get("/login?next=/billing/buy")
    assert 'name="next" value="/dashboard"' in page.text
    done = await client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "email": "ada@example.com",
            "password": PASSWORD,
            "next": "/billing/buy",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"


async def test_login_returns_to_a_page_that_opens_by_link(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await make_account(ctx)
    page = await client.get("/login?next=/usage/receipts/rcpt_123")
    assert 'name="next" value="/usage/receipts/rcpt_123"' in page.text


async def test_a_form_posted_after_the_session_expired_returns_to_its_page(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/billing/buy",
        data={"product": "topup:small"},
        headers={"referer": "http://testserver/billing?tab=buy"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/billing"
    elsewhere = await client.post(
        "/billing/buy", headers={"referer": "https://evil.example/billing"}
    )
    assert elsewhere.headers["location"] == "/login"


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    # A JSON data block (type="application/json") is never executed, so CSP allows it.
    inline = re.compile(
        r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|\sstyle=\"|\son[a-z]+=\"",
        re.I,
    )
    found = [
        f"{path.name}: {match.group(0)}"
        for folder in TEMPLATE_DIRS
        for path in sorted(folder.glob("*.html"))
        for match in inline.finditer(path.read_text())
    ]
    assert found == []

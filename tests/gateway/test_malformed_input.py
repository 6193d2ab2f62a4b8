"""Malformed input found by an adversarial pass: each one answered 500 (or was served and
charged). Now each is a 4xx in the endpoint's own format, charges nothing and leaves no
partial state."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.guardrails.service import parse_credits
from caicaini.kit.text import plain_text
from caicaini.testing.fake_upstream import FakeScript
from tests.console.helpers import as_operator, preview
from tests.gateway.support import CLAUDE, balance, customer, issue_key, message_body, usage_of
from tests.gateway.test_refusals import ANTHROPIC, OPENAI, assert_error, openai_body, request_for
from tests.web.helpers import login, make_account

RESPONSES = "/v1/responses"
HUGE = str(2**63)


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def body_of(path: str, **extra: Any) -> dict[str, Any]:
    if path == RESPONSES:
        return {"model": CLAUDE, "input": "hi", **extra}
    return {**(message_body() if path == ANTHROPIC else openai_body()), **extra}


def error_kind(path: str) -> str:
    return "invalid_request_error"


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI, RESPONSES])
async def test_bodies_nested_too_deep_are_refused(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    for raw in (b"[" * 100_000, deep(5_000), deep(200)):
        r = await gclient.post(path, **request_for(path, key, raw))
        assert_error(r, path if path != RESPONSES else OPENAI, 400, "invalid_request_error")
        assert "nest" in r.json()["error"]["message"]
    assert await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI, RESPONSES])
async def test_a_lone_surrogate_in_the_content_is_refused(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    text = (
        json.dumps(body_of(path))
        .replace('"hi"', '"hi \\ud800"')
        .replace('"hello there"', '"hello \\udc00 there"')
    )
    assert "\\ud800" in text or "\\udc00" in text
    r = await gclient.post(path, **request_for(path, key, text.encode()))
    assert_error(r, path if path != RESPONSES else OPENAI, 400, "invalid_request_error")
    assert "surrogate" in r.json()["error"]["message"]
    # A surrogate pair (an emoji escaped the way ensure_ascii encoders write it) is fine.
    paired = json.dumps(body_of(path, metadata=None) | {}, ensure_ascii=True).replace(
        '"hi"', '"hi \\ud83d\\ude00"'
    )
    paired = paired.replace('"hello there"', '"hello \\ud83d\\ude00"')
    r = await gclient.post(path, **request_for(path, key, paired.encode()))
    assert r.status_code == 200, r.text
    assert "\U0001f600" in json.dumps(fake.last_request.body, ensure_ascii=False)


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI, RESPONSES])
@pytest.mark.parametrize(
    "extra",
    [{"stream": "yes"}, {"stream": 1}, {"stream": "false"}],
    ids=["yes", "one", "false-string"],
)
async def test_stream_must_be_a_boolean(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str, extra: Any
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    r = await gclient.post(path, **request_for(path, key, body_of(path, **extra)))
    assert_error(r, path if path != RESPONSES else OPENAI, 400, "invalid_request_error")
    assert "stream" in r.json()["error"]["message"]
    assert await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI, RESPONSES])
async def test_an_empty_conversation_is_refused_not_served(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    empty = {"input": []} if path == RESPONSES else {"messages": []}
    r = await gclient.post(path, **request_for(path, key, body_of(path, **empty)))
    assert_error(r, path if path != RESPONSES else OPENAI, 400, "invalid_request_error")
    assert await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": 5}]},
        {"messages": [{"role": "user", "content": [5]}]},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
        {"messages": [{"role": "assistant", "content": 5}, {"role": "user", "content": "x"}]},
        {"messages": [{"role": "tool", "content": {"a": 1}}]},
        {"messages": [{"role": "wizard", "content": "hi"}]},
        {"temperature": "hot"},
        {"top_p": [1]},
        {"tools": "x"},
        {"tools": [5]},
        {"tools": [{"type": "function", "function": "f"}]},
        {"stop": 5},
        {"max_tokens": "many"},
        {"messages": [{"role": "user", "content": "hi"}], "n": 2},
    ],
    ids=lambda c: json.dumps(c)[:40],
)
async def test_chat_completions_refuses_wrong_types(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, change: dict[str, Any]
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    r = await gclient.post(OPENAI, **request_for(OPENAI, key, openai_body() | change))
    assert_error(r, OPENAI, 400, "invalid_request_error")
    assert r.json()["error"]["param"]
    assert await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": 5}]},
        {"messages": [{"role": "user", "content": [5]}]},
        {"messages": ["hi"]},
        {"messages": "hi"},
        {"messages": [{"role": "wizard", "content": "hi"}]},
    ],
    ids=lambda c: json.dumps(c)[:40],
)
async def test_messages_refuses_malformed_turns(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, change: dict[str, Any]
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    r = await gclient.post(ANTHROPIC, **request_for(ANTHROPIC, key, message_body() | change))
    assert_error(r, ANTHROPIC, 400, "invalid_request_error")
    assert await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


@pytest.mark.parametrize("path", ["/api/v1/usage", "/api/v1/ledger", "/api/v1/notices"])
async def test_offsets_beyond_any_page_are_refused(
    gctx: AppContext, gclient: httpx.AsyncClient, path: str
) -> None:
    await make_account(gctx, plan="plus")
    await login(gclient)
    for offset in (HUGE, str(10**30)):
        r = await gclient.get(path, params={"offset": offset})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["field"] == "query.offset"
    r = await gclient.get(path, params={"offset": "1000000"})
    assert r.status_code == 200, r.text


async def test_the_usage_page_survives_a_huge_page_number(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    await make_account(gctx, plan="plus")
    await login(gclient)
    for page in (HUGE, str(10**40), "9" * 5000, "\u00b2"):
        r = await gclient.get("/usage", params={"page": page})
        assert r.status_code in (200, 400), r.text
        assert "text/html" in r.headers["content-type"]


async def test_a_key_expiry_without_a_timezone_is_refused(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    await make_account(gctx, plan="plus")
    csrf = await login(gclient)
    headers = {"x-csrf-token": csrf}
    r = await gclient.post(
        "/api/v1/keys", json={"name": "n", "expires_at": "2027-01-01T00:00:00"}, headers=headers
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == "expires_at"
    assert "timezone" in r.json()["error"]["message"]
    r = await gclient.post(
        "/api/v1/keys", json={"name": "n", "expires_at": "2027-01-01T00:00:00Z"}, headers=headers
    )
    assert r.status_code == 201, r.text


async def test_console_amounts_beyond_any_balance_are_refused(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    token = await as_operator(gclient, gctx)
    user = await make_account(gctx, "bob@example.com")
    for amount in (str(10**23), str(-(10**23)), "9" * 5000):
        for step in ({}, {"step": "apply", "confirm_text": "bob@example.com"}):
            r = await preview(
                gclient, token, user.id, "credits", amount=amount, reason="typo", **step
            )
            assert r.status_code == 400, r.text
            assert "text/html" in r.headers["content-type"]
    assert await balance(gctx, user.id) == 0


@pytest.mark.parametrize("raw", [str(10**23), "9" * 5000, "\u00b2", "\u0663", "-5"])
def test_guardrail_amounts_are_plain_digits_within_the_limit(raw: str) -> None:
    with pytest.raises(InvalidInput):
        parse_credits(raw, "cap")
    assert parse_credits("1,000", "cap") == 1000


async def test_control_characters_in_stored_text_are_refused_not_a_500(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    """Found by the schemathesis run: PostgreSQL refuses NUL in text."""
    await make_account(gctx, plan="plus")
    csrf = await login(gclient)
    headers = {"x-csrf-token": csrf}
    r = await gclient.post("/api/v1/keys", json={"name": "lap\u0000top"}, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == "name"
    r = await gclient.post(
        "/api/v1/me/close",
        json={"password": "correct-Horse-7", "reason": "bye\u0000"},
        headers=headers,
    )
    assert r.status_code == 400, r.text
    assert (await gclient.get("/api/v1/me")).json()["status"] == "active"
    gclient.cookies.clear()
    signup = await gclient.post(
        "/api/v1/accounts",
        json={
            "email": "new@example.com",
            "password": "correct-Horse-7",
            "date_of_birth": "1990-01-01",
            "country": "GB",
            "device_fingerprint": "ab\u0000cd",
        },
    )
    assert signup.status_code == 201, signup.text


def test_plain_text_allows_line_breaks_only_where_asked() -> None:
    assert plain_text("two\nlines", "reason", multiline=True) == "two\nlines"
    for bad in ("nul\u0000", "esc\u001b", "lone \ud800"):
        with pytest.raises(InvalidInput):
            plain_text(bad, "name")
    with pytest.raises(InvalidInput):
        plain_text("two\nlines", "name")

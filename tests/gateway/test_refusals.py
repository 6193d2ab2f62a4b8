"""Requests the gateway refuses: each in the endpoint's own error format, none charged, and
no key ever echoed back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from caicaini.api_keys import keyformat
from caicaini.api_keys.service import ApiKeyService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    CLAUDE,
    balance,
    customer,
    issue_key,
    message_body,
    usage_of,
)

ANTHROPIC = "/v1/messages"
OPENAI = "/v1/chat/completions"


def request_for(path: str, key: str | None, body: Any) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    if path == ANTHROPIC:
        headers["anthropic-version"] = "2026-10-21"
        if key:
            headers["x-api-key"] = key
    elif key:
        headers["authorization"] = f"Bearer {key}"
    content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    return {"headers": headers, "content": content}


def openai_body(model: str = CLAUDE) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}]}


def assert_error(r: httpx.Response, path: str, status: int, kind: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    if path == ANTHROPIC:
        assert body["type"] == "error"
        assert body["error"]["type"] == kind
        assert body["error"]["message"]
        assert body["request_id"] == r.headers["caicaini-request-id"]
    else:
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert kind in (body["error"]["type"], body["error"]["code"])


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI])
async def test_bad_keys_are_refused_without_saying_why(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    account = await customer(gctx)
    revoked = await issue_key(gctx, account, name="old")
    expiring = await issue_key(gctx, account, expires_at=gctx.clock.now() + timedelta(hours=1))
    async with gctx.transaction() as session:
        service = ApiKeyService(session, gctx.clock)
        [row] = [k for k in await service.list_keys(account) if k.name == "old"]
        await service.revoke(account, row.id, actor=Actor("account", account))
    gctx.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    typo = revoked[:-1] + ("A" if revoked[-1] != "A" else "B")
    unknown = keyformat.generate()
    body = message_body() if path == ANTHROPIC else openai_body()
    for key in (None, "garbage", typo, unknown, revoked, expiring):
        r = await gclient.post(path, **request_for(path, key, body))
        kind = "authentication_error" if path == ANTHROPIC else "invalid_api_key"
        assert_error(r, path, 401, kind)
        if key:
            assert key not in r.text
    assert await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


async def test_a_key_read_while_its_revocation_commits_stops_at_the_commit(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    count = "/v1/messages/count_tokens"  # authenticates, writes nothing
    assert (await gclient.post(count, **request_for(ANTHROPIC, key, message_body()))).is_success
    async with gctx.transaction() as session:
        service = ApiKeyService(session, gctx.clock)
        [row] = await service.list_keys(account)
        await service.revoke(account, row.id, actor=Actor("account", account))
        # Not committed yet: a request now still reads the key as valid...
        during = await gclient.post(count, **request_for(ANTHROPIC, key, message_body()))
    assert during.is_success
    # ...but that read is not cached: once the revocation commits, the key stops at once.
    after = await gclient.post(count, **request_for(ANTHROPIC, key, message_body()))
    assert_error(after, ANTHROPIC, 401, "authentication_error")


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI])
async def test_bad_requests_are_refused_in_the_endpoint_format(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    make = message_body if path == ANTHROPIC else openai_body
    cases = [
        (b'{"model": "claude-sonnet-4-5", "messages": [', 400, "invalid_request_error"),
        (make("claude-opus-4-5"), 403, "permission_error"),  # not in plus
        (make("gpt-9"), 404, "not_found_error" if path == ANTHROPIC else "model_not_found"),
        (b"x" * (gctx.settings.max_body_bytes + 1), 413, "request_too_large"),
    ]
    for body, status, kind in cases:
        r = await gclient.post(path, **request_for(path, key, body))
        assert_error(r, path, status, kind)
        assert key not in r.text
    assert await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


async def test_free_plan_and_key_model_list_are_enforced(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account, allowed_models=["kimi-k2.5"])
    r = await gclient.post(ANTHROPIC, **request_for(ANTHROPIC, key, message_body(CLAUDE)))
    assert_error(r, ANTHROPIC, 403, "permission_error")
    r = await gclient.post(ANTHROPIC, **request_for(ANTHROPIC, key, message_body("kimi-k2.5")))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI])
async def test_unaffordable_requests_get_402_and_partial_ones_a_lower_max_tokens(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    poor = await customer(gctx, credits=2)  # sonnet costs 3 per unit
    r = await gclient.post(
        path,
        **request_for(
            path,
            await issue_key(gctx, poor),
            message_body() if path == ANTHROPIC else openai_body(),
        ),
    )
    assert_error(r, path, 402, "billing_error" if path == ANTHROPIC else "insufficient_quota")
    assert await balance(gctx, poor) == 2

    some = await customer(gctx, credits=10)  # 3 units of sonnet: 6000 output tokens
    body: dict[str, Any] = message_body() if path == ANTHROPIC else openai_body()
    body["max_tokens"] = 8000
    r = await gclient.post(path, **request_for(path, await issue_key(gctx, some), body))
    assert r.status_code == 200, r.text
    assert r.headers["caicaini-max-tokens-lowered"] == "6000"
    assert (
        fake.last_request.body.get(
            "max_tokens", fake.last_request.body.get("max_completion_tokens")
        )
        == 6000
    )
    assert await balance(gctx, some) == 10 - 3


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI])
async def test_upstream_failures_before_output_cost_nothing_and_keep_their_wording(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    body = message_body() if path == ANTHROPIC else openai_body()
    fake.fail(529, "Overloaded right now")
    r = await gclient.post(path, **request_for(path, key, body))
    assert r.status_code == 529
    assert "Overloaded right now" in r.text
    if path == ANTHROPIC:
        assert r.json()["error"]["type"] == "overloaded_error"
    fake.fail(500, "Internal server error (fake)")
    r = await gclient.post(path, **request_for(path, key, body))
    assert r.status_code == 500
    assert "Internal server error (fake)" in r.text
    fake.fail(400, "prompt is too long: 300000 tokens > 200000 maximum")
    r = await gclient.post(path, **request_for(path, key, body))
    assert r.status_code == 400
    assert "prompt is too long" in r.text
    assert await balance(gctx, account) == 1000
    assert [u.credits_charged for u in await usage_of(gctx, account)] == [0, 0, 0]


async def test_rate_limits_answer_429_with_retry_after(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account, rpm_override=2)
    for _ in range(2):
        r = await gclient.post(ANTHROPIC, **request_for(ANTHROPIC, key, message_body()))
        assert r.status_code == 200
    r = await gclient.post(ANTHROPIC, **request_for(ANTHROPIC, key, message_body()))
    assert_error(r, ANTHROPIC, 429, "rate_limit_error")
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["anthropic-ratelimit-requests-remaining"] == "0"
    r = await gclient.post(OPENAI, **request_for(OPENAI, key, openai_body()))
    assert_error(r, OPENAI, 429, "rate_limit_exceeded")
    assert r.headers["x-ratelimit-limit-requests"] == "2"
    assert await balance(gctx, account) == 1000 - 2 * 3


async def test_addresses_sending_many_bad_keys_are_throttled(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    statuses = []
    for _ in range(22):
        r = await gclient.post(
            ANTHROPIC, **request_for(ANTHROPIC, keyformat.generate(), message_body())
        )
        statuses.append(r.status_code)
    assert statuses[:20] == [401] * 20
    assert statuses[-1] == 429

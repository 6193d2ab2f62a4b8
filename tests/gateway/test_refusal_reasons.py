"""Two answers a caller can act on.

A key we know is refused with its reason, in the endpoint's format: revoked (by its owner,
after a leak report), expired, or its account suspended or closed. A key we do not know, or a
malformed one, still gets a bare "invalid API key": nothing is said about other accounts.

A ``max_tokens`` above the model's output limit is lowered to the limit, and the response says
so in ``caicaini-max-tokens-lowered`` (streams too, in their headers)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from caicaini.accounts.closure import ClosureService
from caicaini.api_keys import keyformat
from caicaini.api_keys.service import ApiKeyService
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import customer, issue_key, message_body
from tests.gateway.test_refusals import ANTHROPIC, OPENAI, assert_error, openai_body, request_for

MODEL_LIMIT = 64_000  # claude-sonnet-4-5's max_output_tokens in the catalogue


def message(r: httpx.Response) -> str:
    return str(r.json()["error"]["message"])


async def revoke(ctx: AppContext, account: str, name: str) -> None:
    async with ctx.transaction() as session:
        service = ApiKeyService(session, ctx.clock)
        [row] = [k for k in await service.list_keys(account) if k.name == name]
        await service.revoke(account, row.id, actor=Actor("account", account))


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI])
async def test_a_known_key_is_told_why_it_is_refused(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str
) -> None:
    body = message_body() if path == ANTHROPIC else openai_body()
    kind = "authentication_error" if path == ANTHROPIC else "invalid_api_key"
    account = await customer(gctx)
    revoked = await issue_key(gctx, account, name="old")
    await revoke(gctx, account, "old")
    leaked = await issue_key(gctx, account, name="leaked")
    assert (await gclient.post("/v1/keys/report-leak", json={"key": leaked})).status_code == 202
    expiring = await issue_key(gctx, account, expires_at=gctx.clock.now() + timedelta(hours=1))
    gctx.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]

    r = await gclient.post(path, **request_for(path, revoked, body))
    assert_error(r, path, 401, kind)
    assert "this API key was revoked by its owner" in message(r)
    r = await gclient.post(path, **request_for(path, leaked, body))
    assert_error(r, path, 401, kind)
    assert "revoked after it was reported as leaked" in message(r)
    r = await gclient.post(path, **request_for(path, expiring, body))
    assert_error(r, path, 401, kind)
    assert "this API key expired on 2026-11-26 13:00 UTC" in message(r)

    # Keys we do not know learn nothing.
    for unknown in (keyformat.generate(), revoked[:-1] + ("A" if revoked[-1] != "A" else "B")):
        r = await gclient.post(path, **request_for(path, unknown, body))
        assert_error(r, path, 401, kind)
        assert message(r) == "invalid API key"


@pytest.mark.parametrize("status", ["suspended", "closed"])
async def test_a_suspended_or_closed_accounts_key_says_so(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, status: str
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    async with gctx.transaction() as session:
        closure = ClosureService(session, gctx.clock, gctx.settings)
        if status == "closed":
            await closure.close_account(account, reason="test", actor=Actor.system())
        else:
            await closure.set_status(account, "suspended", "test", actor=Actor.system())
    r = await gclient.post(ANTHROPIC, **request_for(ANTHROPIC, key, message_body()))
    assert_error(r, ANTHROPIC, 403, "permission_error")
    assert message(r) == f"this account is {status}; its API keys are disabled"


@pytest.mark.parametrize("path", [ANTHROPIC, OPENAI])
@pytest.mark.parametrize("stream", [False, True])
async def test_max_tokens_above_the_models_limit_is_lowered_and_announced(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, path: str, stream: bool
) -> None:
    account = await customer(gctx, credits=100_000)
    key = await issue_key(gctx, account)
    body = message_body() if path == ANTHROPIC else openai_body()
    body["max_tokens"] = 1_000_000
    body["stream"] = stream
    async with gclient.stream("POST", path, **request_for(path, key, body)) as r:
        await r.aread()
    assert r.status_code == 200, r.text
    assert r.headers["caicaini-max-tokens-lowered"] == str(MODEL_LIMIT)
    sent = fake.last_request.body
    assert sent.get("max_tokens", sent.get("max_completion_tokens")) == MODEL_LIMIT

    within = message_body() if path == ANTHROPIC else openai_body()
    within["max_tokens"] = 1_000
    r = await gclient.post(path, **request_for(path, key, within))
    assert r.status_code == 200 and "caicaini-max-tokens-lowered" not in r.headers

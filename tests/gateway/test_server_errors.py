"""An unexpected failure is a 500 in the endpoint's own format, with the type each format
uses for it (Anthropic ``api_error``, OpenAI ``server_error``), a request id and nothing of
the failure's own text (it may hold a secret)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.gateway.ratelimit import Admission, Limits
from caicaini.gateway.state import gateway_state
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import anthropic_headers, customer, issue_key, message_body


class BrokenLimiter:
    """A limiter whose every call fails as no domain rule would."""

    async def admit(self, limits: Limits) -> Admission:
        raise RuntimeError("limiter broke; secret sk-cai-0123456789")

    async def finish(self, bucket: str, slot: str) -> None:
        raise RuntimeError("limiter broke")

    async def note_failure(self, bucket: str, window: int) -> int:
        raise RuntimeError("limiter broke")

    async def failures(self, bucket: str, window: int) -> int:
        return 0

    async def aclose(self) -> None:
        return None


CHAT = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}
RESPONSES = {"model": "claude-sonnet-4-5", "input": "hi"}


@pytest.mark.parametrize(
    ("path", "body", "kind"),
    [
        ("/v1/messages", message_body(), "anthropic"),
        ("/v1/messages/count_tokens", message_body(), "anthropic"),
        ("/v1/chat/completions", CHAT, "openai"),
        ("/v1/responses", RESPONSES, "openai"),
    ],
)
async def test_an_unexpected_failure_is_a_500_in_the_endpoints_format(
    gctx: AppContext,
    gclient: httpx.AsyncClient,
    fake: FakeScript,
    path: str,
    body: dict[str, Any],
    kind: str,
) -> None:
    key = await issue_key(gctx, await customer(gctx))
    gateway_state(gctx).limiter = BrokenLimiter()
    headers = {**anthropic_headers(key), "authorization": f"Bearer {key}"}
    r = await gclient.post(path, json=body, headers=headers)
    assert r.status_code == 500, r.text
    error = r.json()["error"]
    if kind == "anthropic":
        assert r.json()["type"] == "error"
        assert error["type"] == "api_error"
        assert r.json()["request_id"] == r.headers["caicaini-request-id"]
    else:
        assert error["type"] == "server_error"
    assert "sk-cai-0123" not in r.text

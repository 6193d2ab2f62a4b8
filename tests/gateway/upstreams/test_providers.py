"""Provider adapters against the fake upstream over real HTTP: what they send, what they
return in the canonical format, and how every kind of failure reaches the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from caicaini.errors import UpstreamError
from caicaini.gateway.upstreams.anthropic import AnthropicProvider
from caicaini.gateway.upstreams.base import Provider, UpstreamRequest, Usage
from caicaini.gateway.upstreams.openai_compat import OpenAICompatProvider
from caicaini.testing.fake_upstream import Behaviour, FakeUpstreamServer

TOOLS = [
    {
        "name": "read_file",
        "description": "Read a file",
        "input_schema": {
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        },
        "cache_control": {"type": "ephemeral"},
    }
]


def request(text: str = "hello there", **body: Any) -> UpstreamRequest:
    payload = {
        "model": "our-model",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": text}],
    }
    payload.update(body)
    headers = {
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "a-2025,b-2026",
        "authorization": "Bearer client-key-must-not-leak",
    }
    return UpstreamRequest(
        payload, upstream_model="up-model", max_output_tokens=64, headers=headers
    )


@pytest.fixture(params=["anthropic", "moonshot"])
async def provider(
    request: pytest.FixtureRequest, upstream: FakeUpstreamServer
) -> AsyncIterator[Provider]:
    timeout = httpx.Timeout(5.0, read=0.5)
    p: Provider
    if request.param == "anthropic":
        p = AnthropicProvider(upstream.anthropic_base_url, "sk-ant-up", timeout=timeout)
    else:
        p = OpenAICompatProvider(upstream.openai_base_url, "sk-moon-up", timeout=timeout)
    yield p
    await p.aclose()


async def collect(p: Provider, req: UpstreamRequest) -> list[dict[str, Any]]:
    return [event async for event in p.stream(req)]


def final_usage(events: list[dict[str, Any]]) -> Usage:
    usage = Usage()
    for event in events:
        if event["type"] == "message_start":
            usage.update(event["message"]["usage"])
        elif event["type"] == "message_delta":
            usage.update(event["usage"])
    return usage


async def test_send_returns_a_canonical_message(
    provider: Provider, upstream: FakeUpstreamServer
) -> None:
    message = await provider.send(request())
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["model"] == "our-model"
    assert message["content"] == [{"type": "text", "text": "Echo: hello there"}]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"]["output_tokens"] == 3
    sent = upstream.script.last_request
    assert sent.body["model"] == "up-model"
    assert "client-key-must-not-leak" not in str(sent.headers)


async def test_anthropic_request_passes_through_with_headers(upstream: FakeUpstreamServer) -> None:
    p = AnthropicProvider(upstream.anthropic_base_url, "sk-ant-up")
    req = request(max_tokens=1000, thinking={"type": "adaptive"}, future_field={"x": 1})
    await p.send(req)
    await p.aclose()
    sent = upstream.script.last_request
    assert sent.body["max_tokens"] == 64  # clamped to the model's limit
    assert sent.body["thinking"] == {"type": "adaptive"}
    assert sent.body["future_field"] == {"x": 1}  # unknown fields pass through
    assert sent.headers["x-api-key"] == "sk-ant-up"
    assert sent.headers["anthropic-beta"] == "a-2025,b-2026"
    assert sent.headers["anthropic-version"] == "2023-06-01"


async def test_moonshot_request_is_translated(upstream: FakeUpstreamServer) -> None:
    p = OpenAICompatProvider(upstream.openai_base_url, "sk-moon-up")
    system = [{"type": "text", "text": "be brief"}]
    req = request(
        max_tokens=32000,
        system=system,
        thinking={"type": "adaptive"},
        context_management={},
        output_config={},
    )
    req.body["messages"].insert(0, {"role": "system", "content": "policy"})
    async for _ in p.stream(req):
        pass
    await p.aclose()
    sent = upstream.script.last_request
    assert sent.headers["authorization"] == "Bearer sk-moon-up"
    assert not any(h.startswith("anthropic-") for h in sent.headers)
    assert sent.body["max_completion_tokens"] == 64
    assert sent.body["stream_options"] == {"include_usage": True}
    assert [m["role"] for m in sent.body["messages"]] == ["system", "system", "user"]
    for dropped in ("thinking", "context_management", "output_config", "max_tokens", "system"):
        assert dropped not in sent.body


async def test_stream_yields_canonical_events_and_usage(provider: Provider) -> None:
    events = await collect(provider, request("one two three"))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and "ping" in kinds
    assert kinds[-2:] == ["message_delta", "message_stop"]
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == "Echo: one two three"
    usage = final_usage(events)
    assert usage.output_tokens == 4
    assert usage.total_input > 0
    assert events[0]["message"]["model"] == "our-model"


async def test_stream_tool_use(provider: Provider) -> None:
    events = await collect(provider, request("please use tool", tools=TOOLS))
    starts = [e for e in events if e["type"] == "content_block_start"]
    assert [s["content_block"]["type"] for s in starts] == ["text", "tool_use"]
    tool_index = starts[1]["index"]
    arguments = "".join(
        e["delta"]["partial_json"]
        for e in events
        if e["type"] == "content_block_delta" and e["index"] == tool_index
    )
    assert arguments == '{"path":"fake"}'
    delta = next(e for e in events if e["type"] == "message_delta")
    assert delta["delta"]["stop_reason"] == "tool_use"


async def test_send_tool_use(provider: Provider) -> None:
    message = await provider.send(request("use tool now", tools=TOOLS))
    call = message["content"][-1]
    assert call["type"] == "tool_use" and call["input"] == {"path": "fake"}
    assert message["stop_reason"] == "tool_use"


async def test_cache_usage_reaches_the_canonical_form(
    provider: Provider, upstream: FakeUpstreamServer
) -> None:
    upstream.script.push(Behaviour(cache_read=10, moonshot=provider.name == "moonshot"))
    events = await collect(provider, request("x" * 200))
    usage = final_usage(events)
    assert usage.cache_read_input_tokens == 10
    assert usage.total_input == usage.input_tokens + 10


@pytest.mark.parametrize("status", [429, 529, 500])
async def test_errors_before_output_raise_with_status_and_wording(
    provider: Provider, upstream: FakeUpstreamServer, status: int
) -> None:
    for streaming in (False, True):
        upstream.script.fail(status, f"upstream says {status}", retry_after=3)
        with pytest.raises(UpstreamError) as caught:
            if streaming:
                await collect(provider, request())
            else:
                await provider.send(request())
        error = caught.value
        assert error.status == status
        assert error.message == f"upstream says {status}"
        assert error.retry_after == 3
        expected = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error"}[status]
        assert error.error_type == expected


async def test_anthropic_error_keeps_type_and_request_id(upstream: FakeUpstreamServer) -> None:
    p = AnthropicProvider(upstream.anthropic_base_url)
    upstream.script.fail(400, "prompt is too long: 210000 tokens > 200000 maximum")
    with pytest.raises(UpstreamError) as caught:
        await p.send(request())
    await p.aclose()
    assert caught.value.error_type == "invalid_request_error"
    assert caught.value.message.startswith("prompt is too long")
    assert caught.value.details["request_id"].startswith("req_fake")


async def test_mid_stream_failure_is_an_error_event(
    provider: Provider, upstream: FakeUpstreamServer
) -> None:
    upstream.script.fail_mid_stream(4, message="broke mid-way")
    events = await collect(provider, request("a b c d e f g h"))
    assert events[-1]["type"] == "error"
    assert events[-1]["error"]["message"] == "broke mid-way"
    assert any(e["type"] == "content_block_delta" for e in events)


async def test_hang_before_output_is_a_timeout(
    provider: Provider, upstream: FakeUpstreamServer
) -> None:
    upstream.script.hang()
    with pytest.raises(UpstreamError) as caught:
        await provider.send(request())
    assert caught.value.status == 504 and caught.value.error_type == "timeout_error"
    upstream.script.hang()
    with pytest.raises(UpstreamError):
        await collect(provider, request())


async def test_silence_mid_stream_ends_with_an_error_event(
    provider: Provider, upstream: FakeUpstreamServer
) -> None:
    upstream.script.push(Behaviour(hang_after_events=3))
    events = await collect(provider, request("a b c d"))
    assert events[-1]["type"] == "error"
    assert events[-1]["error"]["type"] == "timeout_error"


async def test_unreachable_upstream_is_an_upstream_error() -> None:
    p = AnthropicProvider("http://127.0.0.1:9", timeout=2.0)
    with pytest.raises(UpstreamError) as caught:
        await p.send(request())
    await p.aclose()
    assert caught.value.status == 502


async def test_count_tokens(provider: Provider, upstream: FakeUpstreamServer) -> None:
    tokens = await provider.count_tokens(request("y" * 400))
    message = await provider.send(request("y" * 400))
    assert tokens == Usage.from_anthropic(message["usage"]).total_input
    if provider.name == "anthropic":
        assert "max_tokens" not in upstream.script.requests[-2].body


async def test_closing_a_stream_early_releases_the_connection(provider: Provider) -> None:
    stream = provider.stream(request("a b c d e f"))
    async for event in stream:
        if event["type"] == "content_block_delta":
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert (await provider.send(request()))["stop_reason"] == "end_turn"


async def test_moonshot_reasoning_becomes_a_thinking_block(upstream: FakeUpstreamServer) -> None:
    p = OpenAICompatProvider(upstream.openai_base_url)
    upstream.script.push(Behaviour(reasoning="hmm so", text="ok", moonshot=True))
    events = await collect(p, request())
    upstream.script.push(Behaviour(reasoning="hmm so", text="ok", moonshot=True))
    message = await p.send(request())
    await p.aclose()
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["thinking", "text"]
    assert [b["type"] for b in message["content"]] == ["thinking", "text"]
    assert message["content"][0]["thinking"] == "hmm so"
    assert final_usage(events).output_tokens == message["usage"]["output_tokens"] == 3


async def test_anthropic_base_url_with_v1_still_works(upstream: FakeUpstreamServer) -> None:
    p = AnthropicProvider(upstream.anthropic_base_url + "/v1/")
    assert (await p.send(request()))["type"] == "message"
    await p.aclose()

"""The fake upstream is faithful enough for the official SDKs to talk to it unchanged."""

from __future__ import annotations

import anthropic
import openai
import pytest

from caicaini.testing.fake_upstream import Behaviour, FakeUpstreamServer

TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    }
]
OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": TOOLS[0]["input_schema"],
        },
    }
]


def claude(fake: FakeUpstreamServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="sk-test", max_retries=0)


def gpt(fake: FakeUpstreamServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)


def test_anthropic_sdk_message_echoes_the_last_user_message(fake: FakeUpstreamServer) -> None:
    msg = claude(fake).messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "Hello there, fake"}],
    )
    assert msg.content[0].type == "text"
    assert msg.content[0].text == "Echo: Hello there, fake"
    assert msg.stop_reason == "end_turn"
    assert msg.usage.output_tokens == 4
    assert msg.usage.input_tokens > 0
    headers = fake.script.last_request.headers
    # SDK 2.x sends Bearer auth; 1.x sent x-api-key: the fake accepts both.
    assert headers.get("x-api-key") == "sk-test" or headers["authorization"] == "Bearer sk-test"
    assert headers["anthropic-version"]


def test_anthropic_sdk_stream_accumulates_text_and_usage(fake: FakeUpstreamServer) -> None:
    fake.script.push(Behaviour(text="one two three four", cache_read=5, cache_creation=2))
    with claude(fake).messages.stream(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "count please, it is long enough"}],
    ) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert texts == ["one ", "two ", "three ", "four"]
    assert final.content[0].text == "one two three four"
    assert final.usage.output_tokens == 4
    assert final.usage.cache_read_input_tokens == 5
    assert final.usage.cache_creation_input_tokens == 2


def test_anthropic_sdk_tool_use_round_trip(fake: FakeUpstreamServer) -> None:
    client = claude(fake)
    first = [{"role": "user", "content": "Please use tool for Paris"}]
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=200, tools=TOOLS, messages=first
    ) as stream:
        msg = stream.get_final_message()
    assert msg.stop_reason == "tool_use"
    call = next(b for b in msg.content if b.type == "tool_use")
    assert call.name == "get_weather"
    assert call.input == {"city": "fake", "days": 1}
    follow = [
        *first,
        {"role": "assistant", "content": [b.model_dump() for b in msg.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny 21C"}],
        },
    ]
    answer = client.messages.create(
        model="claude-haiku-4-5", max_tokens=200, tools=TOOLS, messages=follow
    )
    assert answer.stop_reason == "end_turn"
    assert answer.content[0].text == "Got the tool result: sunny 21C"


def test_anthropic_sdk_sees_errors_with_type_and_retry_after(fake: FakeUpstreamServer) -> None:
    fake.script.fail(429, "slow down please", retry_after=7)
    with pytest.raises(anthropic.RateLimitError) as caught:
        claude(fake).messages.create(
            model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.body["error"] == {"type": "rate_limit_error", "message": "slow down please"}
    assert caught.value.request_id and caught.value.request_id.startswith("req_fake")
    fake.script.fail(529)
    with pytest.raises(anthropic.InternalServerError) as overloaded:
        claude(fake).messages.create(
            model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    assert overloaded.value.status_code == 529
    assert overloaded.value.body["error"]["type"] == "overloaded_error"


def test_anthropic_sdk_stream_error_after_start(fake: FakeUpstreamServer) -> None:
    fake.script.fail_mid_stream(4)
    with (
        pytest.raises(anthropic.APIStatusError, match="Overloaded"),
        claude(fake).messages.stream(
            model="claude-haiku-4-5",
            max_tokens=100,
            messages=[{"role": "user", "content": "a b c d e f g"}],
        ) as stream,
    ):
        list(stream.text_stream)


def test_anthropic_sdk_count_tokens(fake: FakeUpstreamServer) -> None:
    result = claude(fake).messages.count_tokens(
        model="claude-haiku-4-5", messages=[{"role": "user", "content": "x" * 400}]
    )
    msg = claude(fake).messages.create(
        model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "x" * 400}]
    )
    assert result.input_tokens == msg.usage.input_tokens > 100


def test_max_tokens_cuts_the_reply(fake: FakeUpstreamServer) -> None:
    fake.script.push(Behaviour(output_tokens=50))
    msg = claude(fake).messages.create(
        model="claude-haiku-4-5", max_tokens=3, messages=[{"role": "user", "content": "hi"}]
    )
    assert msg.stop_reason == "max_tokens"
    assert msg.usage.output_tokens == 3
    fake.script.push(Behaviour(output_tokens=50))
    chat = gpt(fake).chat.completions.create(
        model="kimi-k2.5", max_completion_tokens=3, messages=[{"role": "user", "content": "hi"}]
    )
    assert chat.choices[0].finish_reason == "length"
    assert chat.usage is not None and chat.usage.completion_tokens == 3


async def test_async_anthropic_sdk_streams_events(fake: FakeUpstreamServer) -> None:
    client = anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="k", max_retries=0)
    kinds = []
    async with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": "hey"}]
    ) as stream:
        async for event in stream:
            kinds.append(event.type)
    await client.close()
    assert kinds[0] == "message_start"
    assert "content_block_delta" in kinds
    assert kinds[-2:] == ["message_delta", "message_stop"]


def test_openai_sdk_completion_and_tool_call(fake: FakeUpstreamServer) -> None:
    client = gpt(fake)
    chat = client.chat.completions.create(
        model="kimi-k2.5", messages=[{"role": "user", "content": "hello kimi"}]
    )
    assert chat.choices[0].message.content == "Echo: hello kimi"
    assert chat.choices[0].finish_reason == "stop"
    tool = client.chat.completions.create(
        model="kimi-k2.5",
        tools=OPENAI_TOOLS,
        messages=[{"role": "user", "content": "use tool please"}],
    )
    call = tool.choices[0].message.tool_calls[0]
    assert tool.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    assert call.function.arguments == '{"city":"fake","days":1}'
    assert fake.script.last_request.headers["authorization"] == "Bearer sk-test"


def test_openai_sdk_stream_with_usage_and_tool_call(fake: FakeUpstreamServer) -> None:
    stream = gpt(fake).chat.completions.create(
        model="kimi-k2.5",
        tools=OPENAI_TOOLS,
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "use tool please"}],
    )
    chunks = list(stream)
    arguments = "".join(
        tc.function.arguments or ""
        for c in chunks
        if c.choices
        for tc in c.choices[0].delta.tool_calls or []
    )
    assert arguments == '{"city":"fake","days":1}'
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_openai_sdk_error_and_mid_stream_error(fake: FakeUpstreamServer) -> None:
    fake.script.fail(429, "Your account reached its TPM rate limit")
    with pytest.raises(openai.RateLimitError, match="TPM rate limit"):
        gpt(fake).chat.completions.create(
            model="kimi-k2.5", messages=[{"role": "user", "content": "x"}]
        )
    fake.script.fail_mid_stream(2, message="engine broke")
    stream = gpt(fake).chat.completions.create(
        model="kimi-k2.5", stream=True, messages=[{"role": "user", "content": "a b c d"}]
    )
    with pytest.raises(openai.APIError, match="engine broke"):
        list(stream)


def test_reasoning_reaches_both_sdks(fake: FakeUpstreamServer) -> None:
    fake.script.push(Behaviour(reasoning="let me think", text="answer"))
    with claude(fake).messages.stream(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "q"}]
    ) as stream:
        final = stream.get_final_message()
    thinking, text = final.content
    assert thinking.type == "thinking" and thinking.thinking == "let me think"
    assert thinking.signature == "fake-signature"
    assert text.type == "text" and final.usage.output_tokens == 4
    fake.script.push(Behaviour(reasoning="let me think", text="answer"))
    chunks = list(
        gpt(fake).chat.completions.create(
            model="kimi-k2.5", stream=True, messages=[{"role": "user", "content": "q"}]
        )
    )
    reasoning = "".join(
        getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices
    )
    assert reasoning == "let me think"

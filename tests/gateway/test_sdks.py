"""The official SDKs against the running gateway (uvicorn on 127.0.0.1), with the fake
upstream standing in for Anthropic and Moonshot: streaming and not, text and a tool-use round
trip, a Claude and a Kimi model, each message charged the published rate x units, once."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest

from caicaini.context import AppContext
from caicaini.testing.live_server import LiveServer
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    assert_charged_exactly,
    balance,
    customer,
    issue_key,
    published_price,
)

pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_anthropic_sdk_text_and_tool_round_trip(
    live: LiveServer, lctx: AppContext, model: str
) -> None:
    account = await customer(lctx)
    key = await issue_key(lctx, account)
    client = anthropic.Anthropic(api_key=key, base_url=live.url, max_retries=0)
    expected = []

    msg = client.messages.create(
        model=model, max_tokens=1024, messages=[{"role": "user", "content": "Say hello"}]
    )
    assert msg.content[0].type == "text" and msg.content[0].text
    expected.append(published_price(model, msg.usage.input_tokens, msg.usage.output_tokens))

    question: list[Any] = [{"role": "user", "content": "please use tool for the weather in Paris"}]
    with client.messages.stream(
        model=model, max_tokens=1024, tools=[WEATHER_TOOL], messages=question
    ) as stream:
        first = stream.get_final_message()
    assert first.stop_reason == "tool_use"
    [call] = [b for b in first.content if b.type == "tool_use"]
    assert call.name == "get_weather" and isinstance(call.input, dict)
    expected.append(published_price(model, first.usage.input_tokens, first.usage.output_tokens))

    follow_up = [
        *question,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call.id, "content": "18°C and sunny"}
        ]},
    ]  # fmt: skip
    answer = client.messages.create(
        model=model, max_tokens=1024, tools=[WEATHER_TOOL], messages=follow_up
    )
    assert answer.stop_reason == "end_turn" and answer.content[0].text
    expected.append(published_price(model, answer.usage.input_tokens, answer.usage.output_tokens))

    raw = client.messages.with_raw_response.create(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "again"}]
    )
    parsed = raw.parse()
    charged = published_price(model, parsed.usage.input_tokens, parsed.usage.output_tokens)
    assert raw.headers["caicaini-credits-charged"] == str(charged)
    expected.append(charged)
    await assert_charged_exactly(lctx, account, expected)


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_openai_sdk_text_stream_and_tool_round_trip(
    live: LiveServer, lctx: AppContext, model: str
) -> None:
    account = await customer(lctx)
    key = await issue_key(lctx, account)
    client = openai.OpenAI(api_key=key, base_url=live.url + "/v1", max_retries=0)
    expected = []

    done = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Say hello"}]
    )
    assert done.choices[0].message.content
    assert done.usage is not None
    expected.append(published_price(model, done.usage.prompt_tokens, done.usage.completion_tokens))

    chunks = list(
        client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "stream please"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    usage = chunks[-1].usage
    assert usage is not None
    expected.append(published_price(model, usage.prompt_tokens, usage.completion_tokens))

    tools: Any = [{"type": "function", "function": {
        "name": WEATHER_TOOL["name"], "description": WEATHER_TOOL["description"],
        "parameters": WEATHER_TOOL["input_schema"]}}]  # fmt: skip
    question: list[Any] = [{"role": "user", "content": "please use tool for the weather in Paris"}]
    first = client.chat.completions.create(model=model, messages=question, tools=tools)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    json.loads(call.function.arguments)  # type: ignore[union-attr]
    assert first.usage is not None
    expected.append(
        published_price(model, first.usage.prompt_tokens, first.usage.completion_tokens)
    )

    follow_up = [
        *question,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18°C and sunny"},
    ]
    answer = client.chat.completions.create(model=model, messages=follow_up, tools=tools)
    assert answer.choices[0].finish_reason == "stop" and answer.choices[0].message.content
    assert answer.usage is not None
    expected.append(
        published_price(model, answer.usage.prompt_tokens, answer.usage.completion_tokens)
    )
    await assert_charged_exactly(lctx, account, expected)


async def test_sdk_errors_are_the_sdks_own_exceptions(live: LiveServer, lctx: AppContext) -> None:
    account = await customer(lctx, credits=2)
    key = await issue_key(lctx, account)
    client = anthropic.Anthropic(api_key=key, base_url=live.url, max_retries=0)
    body: Any = {"model": CLAUDE, "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(anthropic.APIStatusError) as err:
        client.messages.create(**body)
    assert err.value.status_code == 402
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(
            api_key="sk-cai-nope", base_url=live.url, max_retries=0
        ).messages.create(**body)
    with pytest.raises(openai.PermissionDeniedError):
        openai.OpenAI(
            api_key=key, base_url=live.url + "/v1", max_retries=0
        ).chat.completions.create(
            model="claude-opus-4-5", messages=[{"role": "user", "content": "x"}]
        )
    models = anthropic.Anthropic(api_key=key, base_url=live.url).models.list()
    assert {m.id for m in models.data} >= {CLAUDE, KIMI}
    assert await balance(lctx, account) == 2

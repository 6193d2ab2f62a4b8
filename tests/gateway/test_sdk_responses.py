"""The official ``openai`` SDK's Responses API (``client.responses``) against the running
gateway (uvicorn on 127.0.0.1, the fake upstream standing in for Anthropic and Moonshot):
complete and streamed responses, the SDK's stream helper, a function-call round trip, for a
Claude and a Kimi model; each response charged the published rate x units, once, and the
charges adding up to the balance change."""

from __future__ import annotations

from typing import Any

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

WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]},
    "strict": False,
}  # fmt: skip


def client_for(live: LiveServer, key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=live.url + "/v1", max_retries=0)


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_openai_sdk_responses_text_stream_and_function_round_trip(
    live: LiveServer, lctx: AppContext, model: str
) -> None:
    account = await customer(lctx)
    client = client_for(live, await issue_key(lctx, account))
    expected = []

    raw = client.responses.with_raw_response.create(
        model=model, input="Say hello", instructions="Be brief.", store=False
    )
    done = raw.parse()
    assert done.status == "completed" and done.output_text.startswith("Echo: Say hello")
    assert done.usage is not None
    charged = published_price(model, done.usage.input_tokens, done.usage.output_tokens)
    assert raw.headers["caicaini-credits-charged"] == str(charged)
    expected.append(charged)

    events = list(client.responses.create(model=model, input="stream please", stream=True))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    last = events[-1]
    assert last.type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == last.response.output_text == "Echo: stream please"
    usage = last.response.usage
    assert usage is not None
    charge = (last.model_extra or {})["caicaini"]  # the SDK keeps the field it does not know
    assert charge["credits_charged"] == published_price(
        model, usage.input_tokens, usage.output_tokens
    )
    expected.append(charge["credits_charged"])

    question: Any = [{"role": "user", "content": "please use tool for the weather in Paris"}]
    with client.responses.stream(model=model, input=question, tools=[WEATHER]) as stream:
        arguments = "".join(
            e.delta for e in stream if e.type == "response.function_call_arguments.delta"
        )
        first = stream.get_final_response()
    [call] = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and call.arguments == arguments == '{"city":"fake"}'
    assert first.usage is not None
    expected.append(published_price(model, first.usage.input_tokens, first.usage.output_tokens))

    follow_up = [
        *question,
        *(item.model_dump(exclude_none=True) for item in first.output),
        {"type": "function_call_output", "call_id": call.call_id, "output": "18°C and sunny"},
    ]
    answer = client.responses.create(model=model, input=follow_up, tools=[WEATHER])
    assert answer.output_text.startswith("Got the tool result: 18°C and sunny")
    assert answer.usage is not None
    expected.append(published_price(model, answer.usage.input_tokens, answer.usage.output_tokens))
    await assert_charged_exactly(lctx, account, expected)


async def test_sdk_errors_are_the_sdks_own_exceptions(live: LiveServer, lctx: AppContext) -> None:
    account = await customer(lctx, credits=2)
    client = client_for(live, await issue_key(lctx, account))
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.create(model=CLAUDE, input="x", tools=[{"type": "web_search"}])
    assert bad.value.param == "tools[0]" and "web_search" in bad.value.message
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.create(model=CLAUDE, input="x", previous_response_id="resp_1")
    assert bad.value.param == "previous_response_id"
    with pytest.raises(openai.APIStatusError) as unpaid:
        client.responses.create(model=CLAUDE, input="x")
    assert unpaid.value.status_code == 402 and unpaid.value.code == "insufficient_quota"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_1")
    with pytest.raises(openai.AuthenticationError):
        client_for(live, "sk-cai-nope").responses.create(model=CLAUDE, input="x")
    assert await balance(lctx, account) == 2

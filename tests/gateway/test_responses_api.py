"""``POST /v1/responses`` in-process: the response object and the named events in the shapes
the official SDK's types define, charged like every message (hold, settle, receipt, headers,
the charge on the stream's last event), function calls both ways, upstream failures, and
bad input refused in the Responses error format without touching the balance."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    RATES,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    read_events,
    receipts_of,
    settled,
    usage_of,
)

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]},
}  # fmt: skip


def bearer(key: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", **extra}


async def paying(gctx: AppContext) -> tuple[str, dict[str, str]]:
    account = await customer(gctx)
    return account, bearer(await issue_key(gctx, account))


async def stream_events(
    gclient: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    async with gclient.stream(
        "POST", "/v1/responses", json={**body, "stream": True}, headers=headers
    ) as r:
        assert r.status_code == 200, await r.aread()
        assert r.headers["content-type"].startswith("text/event-stream")
        events = await read_events(r)
    assert all(name == data["type"] for name, data in events)
    for _name, data in events:  # every event in the SDK's own types, required fields included
        EVENTS.validate_python({k: v for k, v in data.items() if k != "caicaini"})
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    return [data for _, data in events]


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_a_response_is_charged_like_any_message(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, model: str
) -> None:
    account, headers = await paying(gctx)
    fake.reply("Hello from the fake.")
    r = await gclient.post(
        "/v1/responses",
        json={"model": model, "input": "hi", "instructions": "Be brief.",
              "metadata": {"ticket": "42"}, "store": True},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    response = Response.model_validate(body)
    assert response.status == "completed" and response.output_text == "Hello from the fake."
    assert response.model == model and response.store is False
    assert response.metadata == {"ticket": "42"} and response.instructions == "Be brief."
    [record] = await usage_of(gctx, account)
    assert record.endpoint == "responses" and record.outcome == "ok"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (
        record.input_tokens + record.cache_read_input_tokens + record.cache_creation_input_tokens,
        record.output_tokens,
    )
    assert r.headers["caicaini-credits-charged"] == str(record.credits_charged)
    assert record.credits_charged == RATES[model] * record.units
    assert r.headers["caicaini-credits-remaining"] == str(1000 - record.credits_charged)
    assert r.headers["caicaini-receipt-id"] == (await receipts_of(gctx, account))[0].id
    assert await balance(gctx, account) == 1000 - record.credits_charged
    sent = fake.last_request.body
    assert sent["system"] == "Be brief." if model == CLAUDE else sent["messages"][0]["role"]
    await assert_books_balance(gctx)


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_a_stream_sends_the_named_events_and_ends_with_the_charge(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, model: str
) -> None:
    account, headers = await paying(gctx)
    events = await stream_events(gclient, {"model": model, "input": "say hello"}, headers)
    kinds = [e["type"] for e in events]
    assert kinds == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.content_part.added", *["response.output_text.delta"] * (len(kinds) - 8),
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.completed",
    ]  # fmt: skip
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    final = events[-1]
    assert deltas == final["response"]["output"][0]["content"][0]["text"] == "Echo: say hello"
    assert len({e["response"]["id"] for e in events if "response" in e}) == 1
    record = await settled(gctx, account)
    assert final["response"]["usage"]["output_tokens"] == record.output_tokens
    assert final["caicaini"] == {
        "request_id": record.id,
        "credits_charged": record.credits_charged,
        "credits_remaining": 1000 - record.credits_charged,
        "receipt_id": (await receipts_of(gctx, account))[0].id,
        "units": record.units,
    }
    assert await balance(gctx, account) == 1000 - record.credits_charged


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
@pytest.mark.parametrize("stream", [False, True])
async def test_a_function_call_round_trip(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, model: str, stream: bool
) -> None:
    account, headers = await paying(gctx)
    question = [{"role": "user", "content": [
        {"type": "input_text", "text": "please use tool for the weather in Paris"}]}]  # fmt: skip
    body = {"model": model, "input": question, "tools": [WEATHER], "tool_choice": "auto"}
    if stream:
        events = await stream_events(gclient, body, headers)
        first = events[-1]["response"]
        args = [e for e in events if e["type"].startswith("response.function_call_arguments")]
        assert args[-1]["type"] == "response.function_call_arguments.done"
        assert "".join(e["delta"] for e in args[:-1]) == args[-1]["arguments"]
    else:
        r = await gclient.post("/v1/responses", json=body, headers=headers)
        first = r.json()
    [call] = [item for item in first["output"] if item["type"] == "function_call"]
    assert call["name"] == "get_weather" and call["arguments"] == '{"city":"fake"}'
    assert call["status"] == "completed" and call["call_id"]
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": "18°C"}
    follow_up = {**body, "input": [*question, *first["output"], output]}
    r = await gclient.post("/v1/responses", json=follow_up, headers=headers)
    answer = Response.model_validate(r.json())
    assert answer.output_text.startswith("Got the tool result: 18°C")
    sent = fake.last_request.body
    if model == CLAUDE:  # the call and its result reached upstream as a tool_use / tool_result
        assert sent["messages"][1]["content"][-1]["id"] == call["call_id"]
        assert sent["messages"][2]["content"][0]["tool_use_id"] == call["call_id"]
    else:
        assert sent["messages"][-2]["tool_calls"][0]["id"] == call["call_id"]
        assert sent["messages"][-1] == {"role": "tool", "tool_call_id": call["call_id"],
                                        "content": "18°C"}  # fmt: skip
    if stream:
        await settled(gctx, account)
    charged = [r.credits_charged for r in await usage_of(gctx, account)]
    assert len(charged) == 2 and await balance(gctx, account) == 1000 - sum(charged)
    await assert_books_balance(gctx)


async def test_namespaced_tools_are_called_by_their_own_names(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    """Codex groups some functions in a namespace: upstream sees one flat name, the client
    gets its namespace and name back."""
    _account, headers = await paying(gctx)
    namespace = {"type": "namespace", "name": "agents", "description": "Sub-agents",
                 "tools": [{**WEATHER, "name": "spawn"}]}  # fmt: skip
    fake.call_tool("agents__spawn", {"city": "Oslo"})
    r = await gclient.post(
        "/v1/responses", json={"model": CLAUDE, "input": "go", "tools": [namespace]},
        headers=headers,
    )  # fmt: skip
    [call] = [i for i in r.json()["output"] if i["type"] == "function_call"]
    assert (call["namespace"], call["name"]) == ("agents", "spawn")
    assert fake.last_request.body["tools"][0]["name"] == "agents__spawn"
    r = await gclient.post(
        "/v1/responses",
        json={"model": CLAUDE, "tools": [namespace], "input": [
            {"role": "user", "content": "go"}, call,
            {"type": "function_call_output", "call_id": call["call_id"], "output": "started"}]},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 200
    assert fake.last_request.body["messages"][1]["content"][0]["name"] == "agents__spawn"


async def test_reasoning_goes_back_to_moonshot_and_never_unsigned_to_anthropic(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    _account, headers = await paying(gctx)
    fake.reply("Answer.", reasoning="Let me think.")
    r = await gclient.post("/v1/responses", json={"model": KIMI, "input": "q"}, headers=headers)
    output = r.json()["output"]
    assert [i["type"] for i in output] == ["reasoning", "message"]
    assert output[0]["summary"] == [{"type": "summary_text", "text": "Let me think."}]
    history = [{"role": "user", "content": "q"}, *output, {"role": "user", "content": "more"}]
    for model in (KIMI, CLAUDE):
        r = await gclient.post(
            "/v1/responses", json={"model": model, "input": history}, headers=headers
        )
        assert r.status_code == 200, r.text
        assistant = fake.last_request.body["messages"][1]
        if model == KIMI:
            assert assistant["reasoning_content"] == "Let me think."
        else:  # Anthropic refuses thinking without its signature: left out
            assert assistant["content"] == [{"type": "text", "text": "Answer."}]


async def test_an_upstream_failure_mid_stream_is_a_failed_response_with_its_charge(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account, headers = await paying(gctx)
    fake.fail_mid_stream(6, output_tokens=50)
    events = await stream_events(gclient, {"model": CLAUDE, "input": "hello"}, headers)
    assert [e["type"] for e in events[-2:]] == ["error", "response.failed"]
    failed = events[-1]
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"]["code"] == "server_error"
    record = await settled(gctx, account)
    assert record.outcome == "upstream_error" and record.credits_charged > 0
    assert failed["caicaini"]["credits_charged"] == record.credits_charged
    assert await balance(gctx, account) == 1000 - record.credits_charged
    await assert_books_balance(gctx)


async def test_an_upstream_error_before_output_costs_nothing(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account, headers = await paying(gctx)
    fake.fail(529)
    r = await gclient.post("/v1/responses", json={"model": CLAUDE, "input": "x"}, headers=headers)
    assert r.status_code == 529
    assert r.json()["error"]["type"] == "overloaded_error"
    assert await balance(gctx, account) == 1000


BAD_INPUT = [
    ({"input": "hi"}, "model"),
    ({"model": CLAUDE}, "input"),
    ({"model": CLAUDE, "input": 42}, "input"),
    ({"model": CLAUDE, "input": [{"type": "computer_call_output", "call_id": "c"}]}, "input[0]"),
    ({"model": CLAUDE, "input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0]"),
    ({"model": CLAUDE, "input": [{"role": "user", "content": [{"type": "input_audio"}]}]},
     "input[0].content[0]"),
    ({"model": CLAUDE, "input": "hi", "tools": [{"type": "web_search"}]}, "tools[0]"),
    ({"model": CLAUDE, "input": "hi", "tools": [{"type": "custom", "name": "patch"}]},
     "tools[0]"),
    ({"model": CLAUDE, "input": "hi", "stream": "yes"}, "stream"),
    ({"model": CLAUDE, "input": "hi", "store": 1}, "store"),
    ({"model": CLAUDE, "input": "hi", "previous_response_id": "resp_1"}, "previous_response_id"),
    ({"model": CLAUDE, "input": "hi", "conversation": "conv_1"}, "conversation"),
    ({"model": CLAUDE, "input": "hi", "background": True}, "background"),
    ({"model": CLAUDE, "input": "hi", "max_output_tokens": "many"}, "max_output_tokens"),
    ({"model": CLAUDE, "input": "hi", "temperature": "hot"}, "temperature"),
    ({"model": CLAUDE, "input": "hi", "tool_choice": {"type": "web_search"}}, "tool_choice"),
    ({"model": CLAUDE, "input": "hi", "metadata": {"k": 1}}, "metadata"),
    ({"model": CLAUDE, "input": "hi", "text": {"format": {"type": "json_schema"}}},
     "text.format"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "param"), BAD_INPUT, ids=[p for _, p in BAD_INPUT])
async def test_bad_input_is_a_400_in_the_responses_format(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript, body: dict[str, Any], param: str
) -> None:
    account, headers = await paying(gctx)
    r = await gclient.post("/v1/responses", json=body, headers=headers)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert error["message"].startswith(param)
    assert fake.requests == [] and await balance(gctx, account) == 1000
    assert await usage_of(gctx, account) == []


async def test_other_refusals_speak_the_responses_format(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    _account, headers = await paying(gctx)
    r = await gclient.post("/v1/responses", content=b"{not json", headers=headers)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = await gclient.post("/v1/responses", json={"model": CLAUDE, "input": "x"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    r = await gclient.post("/v1/responses", json={"model": "gpt-9", "input": "x"}, headers=headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    for method, path in (("GET", "/v1/responses/resp_1"), ("DELETE", "/v1/responses/resp_1"),
                         ("POST", "/v1/responses/resp_1/cancel")):  # fmt: skip
        r = await gclient.request(method, path, headers=headers)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "response_not_found"
        assert "not stored" in r.json()["error"]["message"]

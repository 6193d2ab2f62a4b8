"""Stream translation event by event, checked against the official SDKs' own types."""

from __future__ import annotations

import json
from typing import Any

from anthropic.types import RawMessageStreamEvent
from openai.types.chat import ChatCompletionChunk
from pydantic import TypeAdapter

from caicaini.gateway.upstreams.base import Usage
from caicaini.gateway.wire import AnthropicToOpenAIStream, OpenAIToAnthropicStream
from caicaini.testing.fake_upstream import Behaviour
from caicaini.testing.fake_upstream import anthropic as fake_anthropic
from caicaini.testing.fake_upstream import openai as fake_openai
from caicaini.testing.fake_upstream.replies import Conversation, plan_reply

ANTHROPIC_EVENT: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)
TOOLS = [
    (
        "read_file",
        {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
    )
]


def conversation(text: str, *, tools: bool = False, max_tokens: int | None = 100) -> Conversation:
    return Conversation(text, None, TOOLS if tools else [], 40, max_tokens)


def anthropic_events(text: str, b: Behaviour | None = None, **kw: Any) -> list[dict[str, Any]]:
    b = b or Behaviour()
    return fake_anthropic.events(plan_reply(conversation(text, **kw), b), b, "m")


def openai_chunks(
    text: str, b: Behaviour | None = None, *, include_usage: bool = True, **kw: Any
) -> list[dict[str, Any]]:
    b = b or Behaviour()
    return fake_openai.chunks(plan_reply(conversation(text, **kw), b), b, "m", include_usage)


def to_openai(events: list[dict[str, Any]], include_usage: bool) -> list[dict[str, Any]]:
    stream = AnthropicToOpenAIStream("claude-haiku-4-5", include_usage=include_usage)
    out = [chunk for event in events for chunk in stream.feed(event)]
    for chunk in out:
        if "error" not in chunk:
            ChatCompletionChunk.model_validate(chunk)
    return out


def to_anthropic(chunks: list[dict[str, Any]], estimate: int = 0) -> list[dict[str, Any]]:
    stream = OpenAIToAnthropicStream("kimi-k2.5", estimated_input_tokens=estimate)
    out = [event for chunk in chunks for event in stream.feed(chunk)] + stream.finish()
    for event in out:
        if event["type"] != "ping":  # the SDK handles pings before its typed events
            ANTHROPIC_EVENT.validate_python(event)
    return out


# -- Anthropic events -> OpenAI chunks -------------------------------------------------------
def test_text_stream_to_openai_chunks_with_usage_chunk() -> None:
    events = anthropic_events("hello world", Behaviour(cache_read=6))
    chunks = to_openai(events, include_usage=True)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Echo: hello world"
    finishing = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert [c["choices"][0]["finish_reason"] for c in finishing] == ["stop"]
    last = chunks[-1]
    assert last["choices"] == []
    assert last["usage"]["completion_tokens"] == 3
    assert last["usage"]["prompt_tokens"] == 40  # includes the cached input
    assert last["usage"]["prompt_tokens_details"] == {"cached_tokens": 6}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert len({c["id"] for c in chunks}) == 1


def test_without_include_usage_there_is_no_usage_chunk() -> None:
    chunks = to_openai(anthropic_events("hi"), include_usage=False)
    assert all(c["choices"] and "usage" not in c for c in chunks)


def test_tool_use_stream_to_openai_tool_call_deltas() -> None:
    chunks = to_openai(anthropic_events("use tool", tools=True), include_usage=False)
    calls = [tc for c in chunks for tc in c["choices"][0]["delta"].get("tool_calls") or []]
    head = calls[0]
    assert head["index"] == 0 and head["type"] == "function"
    assert head["id"].startswith("toolu_") and head["function"] == {
        "name": "read_file",
        "arguments": "",
    }
    assert all(set(tc) == {"index", "function"} for tc in calls[1:])
    assert "".join(tc["function"]["arguments"] for tc in calls) == '{"path":"fake"}'
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_max_tokens_and_thinking_and_errors_to_openai() -> None:
    stream = AnthropicToOpenAIStream("m")
    thinking = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "hmm"},
    }
    assert stream.feed(thinking)[0]["choices"][0]["delta"] == {"reasoning_content": "hmm"}
    assert stream.feed({"type": "ping"}) == []
    assert (
        stream.feed(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "signature_delta", "signature": "x"},
            }
        )
        == []
    )
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "max_tokens"},
        "usage": {"output_tokens": 9},
    }
    assert stream.feed(delta)[0]["choices"][0]["finish_reason"] == "length"
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert stream.feed(error) == [
        {
            "error": {
                "message": "Overloaded",
                "type": "overloaded_error",
                "param": None,
                "code": None,
            }
        }
    ]


def test_cumulative_usage_is_kept_not_summed() -> None:
    stream = AnthropicToOpenAIStream("m", include_usage=True)
    start = {
        "type": "message_start",
        "message": {"usage": {"input_tokens": 12, "output_tokens": 1}},
    }
    stream.feed(start)
    stream.feed({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 5}})
    stream.feed(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 8},
        }
    )
    assert stream.usage == Usage(12, 8)
    last = stream.feed({"type": "message_stop"})[0]
    assert last["usage"]["completion_tokens"] == 8 and last["usage"]["prompt_tokens"] == 12


# -- OpenAI chunks -> Anthropic events -------------------------------------------------------
def test_openai_text_stream_to_named_events() -> None:
    events = to_anthropic(openai_chunks("hello there", Behaviour(cache_read=4)))
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["message_start", "ping", "content_block_start"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == "Echo: hello there"
    delta = events[-2]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"] == {
        "input_tokens": 36,
        "output_tokens": 3,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 4,
    }


def test_moonshot_quirks_usage_inside_the_choice() -> None:
    chunks = openai_chunks("hi", Behaviour(moonshot=True, cache_read=10), include_usage=True)
    assert all(c["choices"] for c in chunks)
    delta = to_anthropic(chunks)[-2]
    assert delta["usage"]["input_tokens"] == 30  # prompt_tokens - cached_tokens
    assert delta["usage"]["cache_read_input_tokens"] == 10


def test_openai_tool_call_stream_to_tool_use_blocks() -> None:
    events = to_anthropic(openai_chunks("use tool", tools=True))
    starts = [e for e in events if e["type"] == "content_block_start"]
    assert [s["content_block"]["type"] for s in starts] == ["text", "tool_use"]
    assert [s["index"] for s in starts] == [0, 1]
    tool = starts[1]["content_block"]
    assert tool["name"] == "read_file" and tool["input"] == {}
    pieces = [
        e["delta"]["partial_json"]
        for e in events
        if e["type"] == "content_block_delta" and e["index"] == 1
    ]
    assert len(pieces) > 1 and json.loads("".join(pieces)) == {"path": "fake"}
    stops = [e["index"] for e in events if e["type"] == "content_block_stop"]
    assert stops == [0, 1]
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


def test_parallel_tool_calls_and_reasoning() -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def call(index: int, **fields: Any) -> dict[str, Any]:
        return chunk({"tool_calls": [{"index": index, **fields}]})

    chunks = [
        chunk({"role": "assistant", "reasoning_content": "think "}),
        chunk({"reasoning_content": "more"}),
        chunk({"content": "ok"}),
        call(0, id="call_a", type="function", function={"name": "f", "arguments": '{"x"'}),
        call(0, function={"arguments": ":1}"}),
        call(1, id="call_b", type="function", function={"name": "g", "arguments": "{}"}),
        chunk({}, "tool_calls"),
    ]
    events = to_anthropic(chunks, estimate=77)
    starts = [
        (e["index"], e["content_block"]["type"])
        for e in events
        if e["type"] == "content_block_start"
    ]
    assert starts == [(0, "thinking"), (1, "text"), (2, "tool_use"), (3, "tool_use")]
    thinking = [
        e["delta"]["thinking"]
        for e in events
        if e["type"] == "content_block_delta" and e["index"] == 0
    ]
    assert thinking == ["think ", "more"]
    assert events[0]["message"]["usage"]["input_tokens"] == 77  # announced at the start
    usage = events[-2]["usage"]  # no usage upstream: estimated, never zero
    assert usage["input_tokens"] == 77 and usage["output_tokens"] >= 1


def test_error_chunk_ends_the_stream_with_an_error_event() -> None:
    stream = OpenAIToAnthropicStream("m")
    stream.feed({"choices": [{"index": 0, "delta": {"content": "par"}, "finish_reason": None}]})
    error = stream.feed(
        {"error": {"message": "engine is overloaded", "type": "engine_overloaded_error"}}
    )
    assert error == [
        {"type": "error", "error": {"type": "overloaded_error", "message": "engine is overloaded"}}
    ]
    assert stream.done and stream.finish() == []


def test_round_trip_openai_to_anthropic_to_openai() -> None:
    events = to_anthropic(openai_chunks("use tool", tools=True))
    back = to_openai(events, include_usage=True)
    arguments = "".join(
        tc["function"]["arguments"]
        for c in back
        if c["choices"]
        for tc in c["choices"][0]["delta"].get("tool_calls") or []
    )
    assert json.loads(arguments) == {"path": "fake"}
    assert back[-1]["usage"]["prompt_tokens"] == 40

"""Complete responses, stop reasons and usage between the formats."""

from __future__ import annotations

import pytest
from openai.types.chat import ChatCompletion

from caicaini.gateway.upstreams.base import Usage
from caicaini.gateway.wire import (
    anthropic_response_to_openai,
    finish_to_stop,
    openai_response_to_anthropic,
    stop_to_finish,
    usage_from_openai,
)

MESSAGE = {
    "id": "msg_abc",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5",
    "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "s"},
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_9", "name": "read", "input": {"path": "a"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_creation_input_tokens": 3,
        "cache_read_input_tokens": 7,
    },
}


def test_anthropic_message_as_chat_completion() -> None:
    out = anthropic_response_to_openai(MESSAGE, "claude-haiku-4-5")
    ChatCompletion.model_validate(out)  # the openai SDK's own model accepts it
    assert out["id"] == "chatcmpl-abc" and out["object"] == "chat.completion"
    choice = out["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me look."
    assert choice["message"]["reasoning_content"] == "hmm"
    assert choice["message"]["tool_calls"] == [
        {
            "id": "toolu_9",
            "type": "function",
            "function": {"name": "read", "arguments": '{"path":"a"}'},
        }
    ]
    assert out["usage"] == {
        "prompt_tokens": 20,
        "completion_tokens": 5,
        "total_tokens": 25,
        "prompt_tokens_details": {"cached_tokens": 7},
    }


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        (None, "stop"),
        ("something_new", "stop"),
    ],
)
def test_stop_reason_to_finish_reason(stop: str | None, finish: str) -> None:
    assert stop_to_finish(stop) == finish


@pytest.mark.parametrize(
    ("finish", "stop"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
        (None, "end_turn"),
    ],
)
def test_finish_reason_to_stop_reason(finish: str | None, stop: str) -> None:
    assert finish_to_stop(finish) == stop


def test_usage_mapping_openai_and_moonshot() -> None:
    openai_usage = {
        "prompt_tokens": 100,
        "completion_tokens": 9,
        "prompt_tokens_details": {"cached_tokens": 40},
    }
    assert usage_from_openai(openai_usage) == Usage(60, 9, 0, 40)
    moonshot_usage = {"prompt_tokens": 100, "completion_tokens": 9, "cached_tokens": 30}
    assert usage_from_openai(moonshot_usage) == Usage(70, 9, 0, 30)
    assert usage_from_openai(None) is None


def test_moonshot_completion_as_anthropic_message() -> None:
    completion = {
        "id": "chatcmpl-xyz",
        "object": "chat.completion",
        "model": "kimi-up",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Done.",
                    "reasoning_content": "think",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a":1}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
                "usage": {
                    "prompt_tokens": 50,
                    "completion_tokens": 4,
                    "total_tokens": 54,
                    "cached_tokens": 20,
                },
            }
        ],
    }
    out = openai_response_to_anthropic(completion, "kimi-k2.5")
    assert out["id"] == "msg_xyz" and out["model"] == "kimi-k2.5"
    assert out["content"] == [
        {"type": "thinking", "thinking": "think", "signature": ""},
        {"type": "text", "text": "Done."},
        {"type": "tool_use", "id": "call_1", "name": "f", "input": {"a": 1}},
    ]
    assert out["stop_reason"] == "tool_use"
    assert out["usage"] == {
        "input_tokens": 30,
        "output_tokens": 4,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 20,
    }


def test_round_trip_of_a_message() -> None:
    back = openai_response_to_anthropic(anthropic_response_to_openai(MESSAGE, "m"), "m")
    assert [b["type"] for b in back["content"]] == ["thinking", "text", "tool_use"]
    assert back["stop_reason"] == "tool_use"
    assert Usage.from_anthropic(back["usage"]).total_input == 20

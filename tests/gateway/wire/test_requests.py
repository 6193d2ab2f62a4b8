"""Request translation both ways (wire-formats.md §3)."""

from __future__ import annotations

import pytest

from caicaini.errors import InvalidInput
from caicaini.gateway.wire import anthropic_request_to_openai, openai_request_to_anthropic

TOOL = {
    "name": "read_file",
    "description": "Read a file",
    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}},
    "cache_control": {"type": "ephemeral"},
}

CLAUDE_CODE_LIKE = {
    "model": "kimi-k2.7-code",
    "max_tokens": 32000,
    "stream": True,
    "system": [
        {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Be concise."},
    ],
    "messages": [
        {"role": "system", "content": "Reminder: tests first."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "read a.py", "cache_control": {"type": "ephemeral"}}
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I should read it.", "signature": "sig"},
                {"type": "text", "text": "Reading."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "read_file",
                    "input": {"path": "a.py"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "print(1)"},
                {"type": "text", "text": "and explain"},
            ],
        },
    ],
    "tools": [TOOL, {"type": "web_search_20250305", "name": "web_search"}],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "thinking": {"type": "adaptive"},
    "output_config": {"effort": "high"},
    "context_management": {"edits": []},
    "metadata": {"user_id": "u"},
    "top_k": 5,
    "temperature": 0.7,
    "stop_sequences": ["END"],
}


def test_claude_code_request_becomes_a_moonshot_request() -> None:
    out = anthropic_request_to_openai(CLAUDE_CODE_LIKE, 32768, model="kimi-up")
    assert out["model"] == "kimi-up"
    assert out["messages"] == [
        {"role": "system", "content": "You are Claude Code.\n\nBe concise."},
        {"role": "system", "content": "Reminder: tests first."},
        {"role": "user", "content": "read a.py"},
        {
            "role": "assistant",
            "content": "Reading.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path":"a.py"}'},
                }
            ],
            "reasoning_content": "I should read it.",
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "print(1)"},
        {"role": "user", "content": "and explain"},
    ]
    assert out["max_completion_tokens"] == 32000 and "max_tokens" not in out
    assert out["stream"] is True and out["stream_options"] == {"include_usage": True}
    assert out["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "read_file",
                "description": "Read a file",
                "parameters": TOOL["input_schema"],
            },
        }
    ]
    assert out["tool_choice"] == "auto" and out["parallel_tool_calls"] is False
    assert out["stop"] == ["END"] and out["temperature"] == 0.7
    for dropped in (
        "thinking",
        "output_config",
        "context_management",
        "metadata",
        "top_k",
        "system",
        "stop_sequences",
        "cache_control",
    ):
        assert dropped not in out
    assert "cache_control" not in str(out)


@pytest.mark.parametrize(
    ("asked", "limit", "sent"), [(128000, 32768, 32768), (100, 32768, 100), (None, 4096, 4096)]
)
def test_max_tokens_is_clamped_to_the_model_limit(asked: int | None, limit: int, sent: int) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    if asked is not None:
        body["max_tokens"] = asked
    assert anthropic_request_to_openai(body, limit)["max_completion_tokens"] == sent


@pytest.mark.parametrize(
    ("choice", "mapped"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        (
            {"type": "tool", "name": "read_file"},
            {"type": "function", "function": {"name": "read_file"}},
        ),
    ],
)
def test_tool_choice_to_openai(choice: dict, mapped: object) -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [], "tools": [TOOL], "tool_choice": choice}
    assert anthropic_request_to_openai(body, 10)["tool_choice"] == mapped


def test_images_errors_and_non_stream_to_openai() -> None:
    body = {
        "model": "m",
        "max_tokens": 5,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "AAA"},
                    },
                    {"type": "text", "text": "what is it"},
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t",
                        "is_error": True,
                        "content": [{"type": "text", "text": "boom"}],
                    }
                ],
            },
        ],
    }
    out = anthropic_request_to_openai(body, 10)
    assert out["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
        {"type": "text", "text": "what is it"},
    ]
    assert out["messages"][1]["content"] is None
    assert out["messages"][2] == {"role": "tool", "tool_call_id": "t", "content": "Error: boom"}
    assert "stream" not in out and "stream_options" not in out


OPENAI_CONVERSATION = {
    "model": "claude-haiku-4-5",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Use tools."},
        {"role": "user", "content": "weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "weather", "arguments": "not json"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": "rain"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "thanks"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QQ=="}},
            ],
        },
        {"role": "system", "content": "Late instruction."},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "description": "Weather",
                "parameters": {"type": "object"},
            },
        }
    ],
    "tool_choice": "required",
    "parallel_tool_calls": False,
    "max_completion_tokens": 300,
    "stop": "STOP",
    "temperature": 1.5,
    "stream": True,
    "stream_options": {"include_usage": True},
}


def test_openai_request_becomes_canonical() -> None:
    out = openai_request_to_anthropic(OPENAI_CONVERSATION)
    assert out["model"] == "claude-haiku-4-5"
    assert out["system"] == "Be brief.\n\nUse tools."
    assert out["max_tokens"] == 300 and out["stream"] is True
    assert out["stop_sequences"] == ["STOP"]
    assert out["temperature"] == 1.0  # OpenAI's 0..2 range capped to Anthropic's 0..1
    assert out["tools"] == [
        {"name": "weather", "description": "Weather", "input_schema": {"type": "object"}}
    ]
    assert out["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert "stream_options" not in out
    roles = [m["role"] for m in out["messages"]]
    assert roles == ["user", "assistant", "user", "system"]
    assistant = out["messages"][1]["content"]
    assert assistant == [
        {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "weather", "input": {}},
    ]
    results = out["messages"][2]["content"]  # both tool results and the next user turn, merged
    assert results[0] == {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"}
    assert results[1]["tool_use_id"] == "call_2"
    assert results[2] == {"type": "text", "text": "thanks"}
    assert results[3] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/jpeg", "data": "QQ=="},
    }
    assert out["messages"][3] == {"role": "system", "content": "Late instruction."}


def test_openai_defaults_and_refusals() -> None:
    plain = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 7}
    out = openai_request_to_anthropic(plain)
    assert out == {
        "model": "m",
        "max_tokens": 7,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }
    no_limit = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert openai_request_to_anthropic(no_limit, default_max_tokens=999)["max_tokens"] == 999
    with pytest.raises(InvalidInput):
        openai_request_to_anthropic({"model": "m", "messages": "nope"})
    with pytest.raises(InvalidInput):
        openai_request_to_anthropic(plain | {"n": 2})


def test_round_trip_keeps_a_tool_conversation() -> None:
    canonical = openai_request_to_anthropic(OPENAI_CONVERSATION)
    back = anthropic_request_to_openai(canonical, 1000)
    roles = [m["role"] for m in back["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user", "system"]
    assert back["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"city":"Paris"}'
    assert back["tool_choice"] == "required" and back["parallel_tool_calls"] is False


def test_empty_assistant_turns_are_dropped() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "b"},
        ],
    }
    out = openai_request_to_anthropic(body)
    assert out["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}
    ]

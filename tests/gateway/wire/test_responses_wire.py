"""The Responses API's requests to the canonical body, and canonical messages and streams to
the Responses API's objects and events (docs/wire-formats.md, "OpenAI Responses API")."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from caicaini.errors import InvalidInput
from caicaini.gateway.wire import (
    AnthropicToResponsesStream,
    anthropic_request_to_openai,
    anthropic_to_responses,
    responses_request_to_anthropic,
)
from caicaini.gateway.wire.responses_request import DEFAULT_MAX_OUTPUT_TOKENS

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
FN = {"type": "function", "name": "shell", "description": "Run a command",
      "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
      "strict": False}  # fmt: skip

CODEX_LIKE: dict[str, Any] = {
    "model": "kimi-k2.7-code",
    "instructions": "You are Codex.",
    "input": [
        {"type": "message", "role": "developer",
         "content": [{"type": "input_text", "text": "Sandbox: read-only."}]},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "list files"},
            {"type": "input_image", "image_url": "data:image/png;base64,iVBOR"}]},
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text",
                                                         "text": "I should run ls."}],
         "encrypted_content": None},
        {"type": "message", "role": "assistant",
         "content": [{"type": "output_text", "text": "Running ls."}]},
        {"type": "function_call", "call_id": "call_1", "name": "shell",
         "arguments": '{"cmd":"ls"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "a.py"},
        {"type": "message", "role": "developer", "content": "Approval granted."},
        {"role": "user", "content": "and now?"},
    ],
    "tools": [FN, {"type": "namespace", "name": "agents", "description": "Sub-agents",
                   "tools": [{**FN, "name": "spawn"}]}],
    "tool_choice": "auto",
    "parallel_tool_calls": False,
    "reasoning": {"summary": "auto"},
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "thread-1",
    "client_metadata": {"session_id": "s"},
}  # fmt: skip


def test_a_codex_request_becomes_canonical() -> None:
    req = responses_request_to_anthropic(CODEX_LIKE)
    assert req.stream and req.model == "kimi-k2.7-code"
    body = req.body
    assert body["system"] == "You are Codex.\n\nSandbox: read-only."
    assert body["max_tokens"] == DEFAULT_MAX_OUTPUT_TOKENS and body["stream"] is True
    assert body["messages"] == [
        {"role": "user", "content": [
            {"type": "text", "text": "list files"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "iVBOR"}}]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I should run ls.", "signature": ""},
            {"type": "text", "text": "Running ls."},
            {"type": "tool_use", "id": "call_1", "name": "shell", "input": {"cmd": "ls"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "a.py"}]},
        {"role": "system", "content": "Approval granted."},
        {"role": "user", "content": [{"type": "text", "text": "and now?"}]},
    ]  # fmt: skip
    assert [t["name"] for t in body["tools"]] == ["shell", "agents__spawn"]
    assert body["tools"][0]["input_schema"] == FN["parameters"]
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert req.namespaces == {"agents__spawn": ("agents", "spawn")}
    for name in ("reasoning", "include", "prompt_cache_key", "client_metadata", "store"):
        assert name not in body
    # ...and for Moonshot: the reasoning goes back as reasoning_content
    sent = anthropic_request_to_openai(body, 32768, model="kimi-k2.7-code")
    assistant = next(m for m in sent["messages"] if m["role"] == "assistant")
    assert assistant["reasoning_content"] == "I should run ls."


def test_defaults_sampling_choice_and_files() -> None:
    pdf, text = base64.b64encode(b"%PDF-1").decode(), base64.b64encode(b"hello").decode()
    req = responses_request_to_anthropic({
        "model": "m", "max_output_tokens": 300, "temperature": 1.6, "top_p": 0.5,
        "tools": [FN], "tool_choice": {"type": "function", "name": "shell"},
        "input": [{"role": "user", "content": [
            {"type": "input_file", "file_data": pdf, "filename": "a.pdf"},
            {"type": "input_file", "file_data": f"data:text/plain;base64,{text}"},
            {"type": "input_file", "file_url": "https://example.com/b.pdf"},
            {"type": "input_text", "text": ""}]}],
    })  # fmt: skip
    body = req.body
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (300, 1.0, 0.5)
    assert body["tool_choice"] == {"type": "tool", "name": "shell"} and "stream" not in body
    assert body["messages"][0]["content"] == [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                        "data": pdf}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                                        "data": "hello"}},
        {"type": "document", "source": {"type": "url", "url": "https://example.com/b.pdf"}},
    ]  # fmt: skip
    assert req.echo["max_output_tokens"] == 300 and req.echo["store"] is False
    assert req.echo["tool_choice"] == {"type": "function", "name": "shell"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"input": [{"type": "message", "role": "tool", "content": "x"}]}, "input[0].role"),
        ({"input": [{"role": "assistant", "content": [
            {"type": "input_image", "image_url": "https://x/y.png"}]}]}, "input[0]"),
        ({"input": [{"role": "user", "content": [{"type": "input_image",
                                                   "file_id": "file_1"}]}]},
         "input[0].content[0]"),
        ({"input": [{"type": "function_call", "name": "f"}]}, "input[0]"),
        ({"input": [{"type": "function_call_output", "output": "x"}]}, "input[0].call_id"),
        ({"input": ["hello"]}, "input[0]"),
        ({"input": [{"role": "developer", "content": "only instructions"}]}, "input"),
        ({"input": "x", "instructions": ["a"]}, "instructions"),
        ({"input": "x", "tools": {"type": "function"}}, "tools"),
        ({"input": "x", "tools": [{"type": "function"}]}, "tools"),
        ({"input": "x", "tools": [{"type": "namespace", "name": "n",
                                   "tools": [{"type": "custom", "name": "c"}]}]},
         "tools[0].tools"),
        ({"input": "x", "tool_choice": "sometimes"}, "tool_choice"),
        ({"input": "x", "max_output_tokens": 0}, "max_output_tokens"),
        ({"input": "x", "parallel_tool_calls": "no"}, "parallel_tool_calls"),
        ({"input": "x", "metadata": {"k" * 65: "v"}}, "metadata"),
        ({"input": "x", "prompt": {"id": "pmpt_1"}}, "prompt"),
    ],
)  # fmt: skip
def test_refusals_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        responses_request_to_anthropic({"model": "m", **body})
    assert refused.value.field == field and refused.value.message.startswith(field)


def test_hosted_tools_are_refused_with_a_hint_for_codex() -> None:
    with pytest.raises(InvalidInput) as refused:
        responses_request_to_anthropic(
            {"model": "m", "input": "x", "tools": [FN, {"type": "web_search"}]}
        )
    assert refused.value.field == "tools[1]"
    assert 'web_search = "disabled"' in refused.value.message


REQ = responses_request_to_anthropic(
    {"model": "claude-sonnet-4-5", "input": "x", "metadata": {"a": "b"},
     "tools": [FN, CODEX_LIKE["tools"][1]]}
)  # fmt: skip


def test_a_message_becomes_a_response_object() -> None:
    message = {
        "id": "msg_abc", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "Hmm.", "signature": "sig"},
            {"type": "text", "text": "Calling."},
            {"type": "tool_use", "id": "toolu_1", "name": "agents__spawn", "input": {"cmd": "x"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 90,
                  "cache_creation_input_tokens": 3},
    }  # fmt: skip
    out = anthropic_to_responses(message, REQ)
    response = Response.model_validate(out)
    assert response.id == "resp_abc" and response.status == "completed"
    assert response.metadata == {"a": "b"} and response.output_text == "Calling."
    reasoning, text, call = out["output"]
    assert reasoning["summary"] == [{"type": "summary_text", "text": "Hmm."}]
    assert reasoning["encrypted_content"] == "sig"
    assert text["content"][0]["text"] == "Calling."
    assert (call["namespace"], call["name"], call["call_id"], call["arguments"]) == (
        "agents", "spawn", "toolu_1", '{"cmd":"x"}',
    )  # fmt: skip
    assert out["usage"] == {
        "input_tokens": 103, "output_tokens": 5, "total_tokens": 108,
        "input_tokens_details": {"cached_tokens": 90, "cache_write_tokens": 3},
        "output_tokens_details": {"reasoning_tokens": 0},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("stop", "status", "reason"),
    [("end_turn", "completed", None), ("max_tokens", "incomplete", "max_output_tokens"),
     ("refusal", "incomplete", "content_filter")],
)  # fmt: skip
def test_the_stop_reason_sets_the_status(stop: str, status: str, reason: str | None) -> None:
    message = {"id": "msg_1", "content": [{"type": "text", "text": "t"}], "stop_reason": stop}
    out = anthropic_to_responses(message, REQ)
    assert out["status"] == status
    assert out["incomplete_details"] == ({"reason": reason} if reason else None)


def canonical_stream(*blocks: dict[str, Any], stop: str = "end_turn") -> list[dict[str, Any]]:
    usage = {"input_tokens": 7, "output_tokens": 1}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {"id": "msg_1", "usage": usage}},
        {"type": "ping"},
    ]
    for index, (block, deltas) in enumerate((b["block"], b["deltas"]) for b in blocks):
        events.append({"type": "content_block_start", "index": index, "content_block": block})
        events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 12}}
    )
    return [*events, {"type": "message_stop"}]  # fmt: skip


def translate(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    translator = AnthropicToResponsesStream(REQ)
    out = [e for event in events for e in translator.feed(event)]
    for event in out:
        EVENTS.validate_python(event)
    assert [e["sequence_number"] for e in out] == list(range(len(out)))
    return out


def test_a_stream_of_thinking_text_and_a_call() -> None:
    out = translate(canonical_stream(
        {"block": {"type": "thinking", "thinking": "", "signature": ""},
         "deltas": [{"type": "thinking_delta", "thinking": "Plan."},
                    {"type": "signature_delta", "signature": "sig"}]},
        {"block": {"type": "text", "text": ""},
         "deltas": [{"type": "text_delta", "text": "Hel"}, {"type": "text_delta", "text": "lo"}]},
        {"block": {"type": "tool_use", "id": "toolu_1", "name": "shell", "input": {}},
         "deltas": [{"type": "input_json_delta", "partial_json": '{"cmd":'},
                    {"type": "input_json_delta", "partial_json": '"ls"}'}]},
        stop="tool_use",
    ))  # fmt: skip
    assert [e["type"] for e in out] == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done", "response.output_item.done",
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.output_item.done", "response.completed",
    ]  # fmt: skip
    assert [e["output_index"] for e in out if e["type"] == "response.output_item.added"] == [
        0, 1, 2,
    ]  # fmt: skip
    final = out[-1]["response"]
    assert [i["type"] for i in final["output"]] == ["reasoning", "message", "function_call"]
    assert final["output"][0]["encrypted_content"] == "sig"
    assert final["output"][1]["content"][0]["text"] == "Hello"
    assert final["output"][2]["arguments"] == '{"cmd":"ls"}'
    assert final["usage"]["input_tokens"] == 7 and final["usage"]["output_tokens"] == 12
    assert out[0]["response"]["status"] == "in_progress" and out[0]["response"]["output"] == []


def test_a_stream_cut_by_max_tokens_is_incomplete_and_a_failure_is_failed() -> None:
    text = {"block": {"type": "text", "text": ""}, "deltas": [{"type": "text_delta", "text": "a"}]}
    out = translate(canonical_stream(text, stop="max_tokens"))
    assert out[-1]["type"] == "response.incomplete"
    assert out[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}

    events = canonical_stream(text)[:4]  # message_start, ping, block start, one delta
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    out = translate([*events, error])
    assert [e["type"] for e in out[-2:]] == ["error", "response.failed"]
    assert out[-2]["code"] == "rate_limit_exceeded" and out[-2]["message"] == "slow down"
    assert out[-1]["response"]["error"] == {"code": "rate_limit_exceeded", "message": "slow down"}

"""Response translation (complete messages), stop reasons and usage between the formats.

Usage: Anthropic's ``input_tokens`` excludes cached input; OpenAI's ``prompt_tokens``
includes it. Cached input is ``prompt_tokens_details.cached_tokens`` (OpenAI) or a top-level
``usage.cached_tokens`` (Moonshot), and Moonshot may put the whole usage object inside
``choices[0].usage``. So: ``input = prompt_tokens - cached``, ``cache_read = cached``.
"""

from __future__ import annotations

import time
from typing import Any

from caicaini.gateway.upstreams.base import Usage
from caicaini.gateway.wire.requests import parse_arguments
from caicaini.kit.ids import new_id
from caicaini.kit.sse import dumps

STOP_TO_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
FINISH_TO_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def stop_to_finish(stop_reason: str | None) -> str:
    return STOP_TO_FINISH.get(stop_reason or "end_turn", "stop")


def finish_to_stop(finish_reason: str | None) -> str:
    return FINISH_TO_STOP.get(finish_reason or "stop", "end_turn")


def usage_from_openai(usage: dict[str, Any] | None) -> Usage | None:
    """Anthropic-style usage from an OpenAI/Moonshot usage object (None when absent)."""
    if not usage:
        return None
    prompt = usage.get("prompt_tokens") or 0
    cached = usage.get("cached_tokens")
    if cached is None:
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    cached = min(cached, prompt)
    return Usage(
        input_tokens=prompt - cached,
        output_tokens=usage.get("completion_tokens") or 0,
        cache_read_input_tokens=cached,
    )


def find_openai_usage(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Top-level ``usage``, else Moonshot's ``choices[0].usage``."""
    usage = payload.get("usage")
    if usage:
        return usage  # type: ignore[no-any-return]
    choices = payload.get("choices") or ()
    if choices:
        inner = choices[0].get("usage")
        if inner:
            return inner  # type: ignore[no-any-return]
    return None


def usage_to_openai(usage: Usage) -> dict[str, Any]:
    prompt = usage.total_input
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_input_tokens},
    }


def anthropic_response_to_openai(msg: dict[str, Any], model: str) -> dict[str, Any]:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in msg.get("content") or ():
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            fn = {"name": block.get("name", ""), "arguments": dumps(block.get("input") or {})}
            calls.append({"id": block.get("id", ""), "type": "function", "function": fn})
        elif kind == "thinking":
            reasoning.append(block.get("thinking", ""))
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    msg_id = str(msg.get("id") or new_id("msg"))
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": stop_to_finish(msg.get("stop_reason")),
    }
    return {
        "id": "chatcmpl-" + msg_id.removeprefix("msg_"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": usage_to_openai(Usage.from_anthropic(msg.get("usage"))),
    }


def openai_response_to_anthropic(resp: dict[str, Any], model: str) -> dict[str, Any]:
    choices = resp.get("choices") or [{}]
    choice = choices[0]
    message = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    if message.get("reasoning_content"):
        content.append(
            {"type": "thinking", "thinking": message["reasoning_content"], "signature": ""}
        )
    text = message.get("content")
    if isinstance(text, list):
        text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
    if text:
        content.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or ():
        fn = call.get("function") or {}
        tool_id = call.get("id") or new_id("toolu")
        arguments = parse_arguments(fn.get("arguments"))
        content.append(
            {"type": "tool_use", "id": tool_id, "name": fn.get("name", ""), "input": arguments}
        )
    usage = usage_from_openai(find_openai_usage(resp)) or Usage()
    return {
        "id": "msg_" + str(resp.get("id") or new_id("x")).removeprefix("chatcmpl-"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": finish_to_stop(choice.get("finish_reason")),
        "stop_sequence": None,
        "usage": usage.to_anthropic(),
    }

"""The fake's OpenAI/Moonshot chat completions: JSON, or ``data:`` chunks ending with
``[DONE]``; a final usage chunk with ``choices: []`` when ``stream_options.include_usage``.

Moonshot quirks (``Behaviour.moonshot``): usage travels inside ``choices[0].usage`` of the
finishing chunk (no separate usage chunk) and cached input is ``usage.cached_tokens`` at the
usage's top level instead of ``prompt_tokens_details.cached_tokens``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from caicaini.kit.sse import DONE, encode_data
from caicaini.testing.fake_upstream.replies import Reply, next_id
from caicaini.testing.fake_upstream.script import Behaviour

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_authentication_error",
    403: "permission_denied_error",
    404: "resource_not_found_error",
    429: "rate_limit_reached_error",
    500: "server_error",
    529: "engine_overloaded_error",
}
DEFAULT_MESSAGES = {
    429: "Your account reached its rate limit, please try again later",
    500: "Internal server error",
    529: "The engine is currently overloaded, please try again later",
}
FINISH = {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


def error_body(status: int, b: Behaviour | None) -> dict[str, Any]:
    error_type = (b and b.error_type) or ERROR_TYPES.get(status, "server_error")
    message = (b and b.message) or DEFAULT_MESSAGES.get(status, f"Fake upstream error {status}")
    return {"error": {"message": message, "type": error_type, "param": None, "code": None}}


def validate(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    if not body.get("model"):
        return "model is required"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "messages must be a non-empty list"
    return None


def usage(reply: Reply, b: Behaviour) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }
    if b.moonshot:
        out["cached_tokens"] = b.cache_read
    else:
        out["prompt_tokens_details"] = {"cached_tokens": b.cache_read}
    return out


def _tool_calls(reply: Reply) -> list[dict[str, Any]] | None:
    if not reply.tool:
        return None
    fn = {"name": reply.tool.name, "arguments": reply.tool.arguments}
    return [{"id": "call_" + reply.tool.id[6:], "type": "function", "function": fn}]


def completion(reply: Reply, b: Behaviour, model: str) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": reply.text if reply.pieces else None}
    if reply.tool:
        msg["tool_calls"] = _tool_calls(reply)
    if reply.thinking:
        msg["reasoning_content"] = "".join(reply.thinking)
    return {
        "id": next_id("chatcmpl-fake"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": msg, "logprobs": None, "finish_reason": FINISH[reply.stop]}
        ],
        "usage": usage(reply, b),
    }


def chunks(reply: Reply, b: Behaviour, model: str, include_usage: bool) -> list[dict[str, Any]]:
    base = {
        "id": next_id("chatcmpl-fake"),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    with_usage = include_usage and not b.moonshot
    tail = {"usage": None} if with_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return base | {"choices": [choice]} | tail

    out = [chunk({"role": "assistant", "content": ""})]
    out.extend(chunk({"reasoning_content": piece}) for piece in reply.thinking)
    out.extend(chunk({"content": piece}) for piece in reply.pieces)
    if reply.tool:
        call = (_tool_calls(reply) or [{}])[0]
        head = {
            "index": 0,
            "id": call["id"],
            "type": "function",
            "function": {"name": reply.tool.name, "arguments": ""},
        }
        out.append(chunk({"tool_calls": [head]}))
        for piece in reply.tool.argument_pieces():
            out.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    last = chunk({}, FINISH[reply.stop])
    if b.moonshot:
        last["choices"][0]["usage"] = usage(reply, b)
    out.append(last)
    if with_usage:
        out.append(base | {"choices": [], "usage": usage(reply, b)})
    return out


async def stream(
    evs: list[dict[str, Any]], b: Behaviour, hang: Callable[[], Awaitable[None]]
) -> AsyncIterator[bytes]:
    delay = 1.0 / b.tokens_per_second if b.tokens_per_second > 0 else 0.0
    for sent, event in enumerate(evs):
        if b.fail_after_events is not None and sent >= b.fail_after_events:
            yield encode_data(error_body(500 if b.status is None else b.status, b))
            return
        if b.hang_after_events is not None and sent >= b.hang_after_events:
            await hang()
            return
        if delay and sent:
            await asyncio.sleep(delay)
        yield encode_data(event)
    yield DONE

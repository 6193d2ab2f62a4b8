"""The fake's Anthropic Messages API: ``POST /v1/messages`` (JSON or named SSE events) and
``POST /v1/messages/count_tokens``, with Anthropic's error bodies and headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from caicaini.kit.sse import encode_event
from caicaini.testing.fake_upstream.replies import Reply, next_id
from caicaini.testing.fake_upstream.script import Behaviour

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
DEFAULT_MESSAGES = {
    429: "Number of request tokens has exceeded your per-minute rate limit",
    500: "Internal server error",
    529: "Overloaded",
}
SIGNATURE = "fake-signature"
# Under this API version the real API refuses sampling parameters (wire-formats.md §1).
STRICT_VERSION = "2026-10-21"


def error_body(status: int, b: Behaviour | None, request_id: str) -> dict[str, Any]:
    error_type = (b and b.error_type) or ERROR_TYPES.get(status, "api_error")
    message = (b and b.message) or DEFAULT_MESSAGES.get(status, f"Fake upstream error {status}")
    return {
        "type": "error",
        "error": {"type": error_type, "message": message},
        "request_id": request_id,
    }


def validate(body: Any, headers: dict[str, str], *, count: bool = False) -> str | None:
    """The real API's 400s that matter to a gateway; None when the body is acceptable."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    if not body.get("model"):
        return "model: Field required"
    if not isinstance(body.get("messages"), list):
        return "messages: Field required"
    if not count and not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    for i, message in enumerate(body["messages"]):
        content = message.get("content") if isinstance(message, dict) else None
        for j, block in enumerate(content if isinstance(content, list) else ()):
            unsigned = isinstance(block, dict) and not block.get("signature")
            if unsigned and block.get("type") == "thinking":
                return f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
    if headers.get("anthropic-version") == STRICT_VERSION:
        for name in ("temperature", "top_p", "top_k"):
            if name in body:
                return f"{name}: not supported with anthropic-version {STRICT_VERSION}"
    return None


def _usage(reply: Reply, b: Behaviour, output_tokens: int) -> dict[str, Any]:
    cached = b.cache_read + b.cache_creation
    return {
        "input_tokens": max(reply.input_tokens - cached, 0),
        "cache_creation_input_tokens": b.cache_creation,
        "cache_read_input_tokens": b.cache_read,
        "output_tokens": output_tokens,
    }


def message(reply: Reply, b: Behaviour, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.thinking:
        thinking = "".join(reply.thinking)
        content.append({"type": "thinking", "thinking": thinking, "signature": SIGNATURE})
    if reply.pieces:
        content.append({"type": "text", "text": reply.text})
    if reply.tool:
        tool = reply.tool
        content.append({"type": "tool_use", "id": tool.id, "name": tool.name, "input": tool.input})
    usage = _usage(reply, b, reply.output_tokens) | {"service_tier": "standard"}
    return {
        "id": next_id("msg_fake"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": reply.stop,
        "stop_sequence": None,
        "usage": usage,
    }


def events(reply: Reply, b: Behaviour, model: str) -> list[dict[str, Any]]:
    """The stream as event dicts (pings excluded: the streamer adds them)."""
    start = message(reply, b, model)
    start |= {"content": [], "stop_reason": None, "usage": _usage(reply, b, 1)}
    out: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    index = 0
    if reply.thinking:
        out.append(_block_start(index, {"type": "thinking", "thinking": "", "signature": ""}))
        out.extend(_delta(index, {"type": "thinking_delta", "thinking": p}) for p in reply.thinking)
        out.append(_delta(index, {"type": "signature_delta", "signature": SIGNATURE}))
        out.append({"type": "content_block_stop", "index": index})
        index += 1
    if reply.pieces:
        out.append(_block_start(index, {"type": "text", "text": ""}))
        out.extend(_delta(index, {"type": "text_delta", "text": p}) for p in reply.pieces)
        out.append({"type": "content_block_stop", "index": index})
        index += 1
    if reply.tool:
        tool = reply.tool
        block = {"type": "tool_use", "id": tool.id, "name": tool.name, "input": {}}
        out.append(_block_start(index, block))
        out.extend(
            _delta(index, {"type": "input_json_delta", "partial_json": piece})
            for piece in ["", *tool.argument_pieces()]
        )
        out.append({"type": "content_block_stop", "index": index})
    out.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop, "stop_sequence": None},
            "usage": _usage(reply, b, reply.output_tokens),
        }
    )
    out.append({"type": "message_stop"})
    return out


def _block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


PING = encode_event("ping", {"type": "ping"})


async def stream(
    evs: list[dict[str, Any]], b: Behaviour, hang: Callable[[], Awaitable[None]]
) -> AsyncIterator[bytes]:
    """Encode the events with pacing, pings, and the scripted mid-stream failure or hang."""
    delay = 1.0 / b.tokens_per_second if b.tokens_per_second > 0 else 0.0
    for sent, event in enumerate(evs):
        if b.fail_after_events is not None and sent >= b.fail_after_events:
            err = error_body(529, b, "")["error"]
            yield encode_event("error", {"type": "error", "error": err})
            return
        if b.hang_after_events is not None and sent >= b.hang_after_events:
            await hang()
            return
        if delay and event["type"] == "content_block_delta":
            remaining = delay
            while remaining > b.ping_interval > 0:
                await asyncio.sleep(b.ping_interval)
                remaining -= b.ping_interval
                yield PING
            await asyncio.sleep(remaining)
        yield encode_event(event["type"], event)
        if sent == 0:
            yield PING

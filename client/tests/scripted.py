"""A scripted model for the client's unit tests (in the manner of Kimi CLI's scripted
provider): each ``/v1/messages`` call streams the next scripted reply as Anthropic events
ending with ``caicaini_charge``, through an httpx transport; and an ``IO`` whose answers are
scripted and whose output is recorded."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import httpx

from caicaini_code.io import IO


def sse(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"


def text_reply(text: str, credits: int, balance: int) -> list[str]:
    return [
        sse("message_start", {"message": {"id": "m", "usage": {"input_tokens": 5}}}),
        sse("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        sse("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}}),
        sse("content_block_stop", {"index": 0}),
        sse("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}}),
        sse("message_stop", {}),
        sse("caicaini_charge", {"request_id": "req", "credits_charged": credits,
                                "credits_remaining": balance, "receipt_id": "rcpt"}),
    ]  # fmt: skip


def tool_reply(name: str, args: dict[str, Any], credits: int, balance: int) -> list[str]:
    raw = json.dumps(args)
    block = {"type": "tool_use", "id": f"toolu_{name}", "name": name, "input": {}}
    return [
        sse("message_start", {"message": {"id": "m", "usage": {"input_tokens": 5}}}),
        sse("content_block_start", {"index": 0, "content_block": block}),
        sse("content_block_delta", {"index": 0, "delta": {"type": "input_json_delta",
                                                          "partial_json": raw[:5]}}),
        sse("content_block_delta", {"index": 0, "delta": {"type": "input_json_delta",
                                                          "partial_json": raw[5:]}}),
        sse("content_block_stop", {"index": 0}),
        sse("message_delta", {"delta": {"stop_reason": "tool_use"}}),
        sse("message_stop", {}),
        sse("caicaini_charge", {"request_id": "req", "credits_charged": credits,
                                "credits_remaining": balance, "receipt_id": "rcpt"}),
    ]  # fmt: skip


class ScriptedModel:
    def __init__(self) -> None:
        self.replies: deque[list[str]] = deque()
        self.sent: list[dict[str, Any]] = []
        self.quote = 10
        self.calls: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/api/v1/quote":
            quote = {"max_credits": self.quote, "balance": 100, "units": 1,
                     "credits_per_unit": self.quote}  # fmt: skip
            return httpx.Response(200, json=quote)
        if request.url.path == "/v1/messages":
            self.sent.append(json.loads(request.content))
            body = "".join(self.replies.popleft())
            return httpx.Response(200, content=body.encode(), headers={"request-id": "req"})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no"}})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


class ScriptedIO(IO):
    def __init__(self, answers: list[str] | None = None) -> None:
        super().__init__()
        self.answers = deque(answers or [])
        self.asked: list[tuple[str, str, str]] = []
        self.shown: list[str] = []

    def ask_permission(self, tool: str, target: str, reason: str) -> str:
        self.asked.append((tool, target, reason))
        return self.answers.popleft()

    def say(self, text: str, style: str | None = None) -> None:
        self.shown.append(text)

    note = warn = error = status = say

    def show_diff(self, text: str) -> None:
        self.shown.append(text)

    def tool_call(self, name: str, target: str) -> None:
        self.shown.append(f"{name} {target}")

    def tool_result(self, text: str, is_error: bool) -> None:
        self.shown.append(text)

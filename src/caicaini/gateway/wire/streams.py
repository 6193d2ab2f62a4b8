"""Stream translation, one event in, zero or more events out, no buffering of content.

``AnthropicToOpenAIStream`` serves ``/v1/chat/completions`` from canonical (Anthropic)
events: a role chunk at ``message_start``, ``content`` deltas, ``tool_calls`` deltas (index,
id, name, then argument pieces), ``reasoning_content`` for thinking, the ``finish_reason``
chunk at ``message_delta`` and, when the client asked for it, the usage chunk with
``choices: []`` at ``message_stop``. An upstream ``error`` event becomes an OpenAI error
payload (``{"error": {...}}``) for the caller to send as a ``data:`` line.

``OpenAIToAnthropicStream`` serves canonical events from an OpenAI/Moonshot chunk stream
(the Moonshot adapter): ``message_start`` and a ``ping`` on the first chunk, one content block
per run of text / reasoning / tool call (``input_json_delta`` pieces as they arrive), and at
``finish()`` the ``message_delta`` with the full usage (cumulative, as Anthropic sends it) and
``message_stop``. Usage is taken from wherever it arrives (top level or ``choices[0].usage``);
if the upstream never reports it, the output is estimated at one token per 4 characters and
the input from the caller's estimate, so a stream is never billed at zero.
"""

from __future__ import annotations

import math
import time
from typing import Any

from caicaini.gateway.upstreams.base import Usage
from caicaini.gateway.wire.responses import (
    find_openai_usage,
    finish_to_stop,
    stop_to_finish,
    usage_from_openai,
    usage_to_openai,
)
from caicaini.kit.ids import new_id

Event = dict[str, Any]

OPENAI_TO_ANTHROPIC_ERROR = {
    "invalid_request_error": "invalid_request_error",
    "content_filter": "invalid_request_error",
    "invalid_authentication_error": "authentication_error",
    "authentication_error": "authentication_error",
    "permission_denied_error": "permission_error",
    "resource_not_found_error": "not_found_error",
    "rate_limit_reached_error": "rate_limit_error",
    "exceeded_current_quota_error": "rate_limit_error",
    "engine_overloaded_error": "overloaded_error",
    "server_error": "api_error",
}


class AnthropicToOpenAIStream:
    __slots__ = ("_base", "_tool_index", "_tools", "finish_reason", "include_usage", "usage")

    def __init__(self, model: str, *, include_usage: bool = False, id: str | None = None) -> None:
        self.include_usage = include_usage
        self.usage = Usage()
        self.finish_reason: str | None = None
        self._base: dict[str, Any] = {
            "id": id or new_id("chatcmpl"),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        self._tools = 0
        self._tool_index: dict[int, int] = {}  # Anthropic block index -> OpenAI tool index

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> Event:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        chunk = {**self._base, "choices": [choice]}
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def feed(self, event: Event) -> list[Event]:
        kind = event.get("type")
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                return [self._chunk({"content": delta.get("text", "")})]
            if dtype == "input_json_delta":
                piece = delta.get("partial_json")
                tool = self._tool_index.get(event.get("index", -1))
                if not piece or tool is None:
                    return []
                return [
                    self._chunk({"tool_calls": [{"index": tool, "function": {"arguments": piece}}]})
                ]
            if dtype == "thinking_delta":
                return [self._chunk({"reasoning_content": delta.get("thinking", "")})]
            return []
        if kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "tool_use":
                tool = self._tool_index[event.get("index", 0)] = self._tools
                self._tools += 1
                head = {
                    "index": tool,
                    "id": block.get("id", ""),
                    "type": "function",
                    "function": {"name": block.get("name", ""), "arguments": ""},
                }
                return [self._chunk({"tool_calls": [head]})]
            if block.get("type") == "text" and block.get("text"):
                return [self._chunk({"content": block["text"]})]
            return []
        if kind == "message_start":
            message = event.get("message") or {}
            self.usage.update(message.get("usage"))
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "message_delta":
            self.usage.update(event.get("usage"))
            stop = (event.get("delta") or {}).get("stop_reason")
            self.finish_reason = stop_to_finish(stop)
            return [self._chunk({}, self.finish_reason)]
        if kind == "message_stop":
            if self.include_usage:
                return [{**self._base, "choices": [], "usage": usage_to_openai(self.usage)}]
            return []
        if kind == "error":
            error = event.get("error") or {}
            return [
                {
                    "error": {
                        "message": error.get("message", "upstream error"),
                        "type": error.get("type", "api_error"),
                        "param": None,
                        "code": None,
                    }
                }
            ]
        return []


class OpenAIToAnthropicStream:
    __slots__ = (
        "_block",
        "_block_kind",
        "_blocks",
        "_chars",
        "_estimated_input",
        "_id",
        "_model",
        "_started",
        "_tool_blocks",
        "done",
        "stop_reason",
        "usage",
        "usage_seen",
    )

    def __init__(self, model: str, *, estimated_input_tokens: int = 0) -> None:
        self._model = model
        self._id = new_id("msg")
        self._estimated_input = estimated_input_tokens
        self._started = False
        self._blocks = 0  # blocks opened so far
        self._block: int | None = None  # index of the open block
        self._block_kind = ""
        self._tool_blocks: dict[int, int] = {}  # OpenAI tool index -> Anthropic block index
        self._chars = 0
        self.usage = Usage()
        self.usage_seen = False
        self.stop_reason: str | None = None
        self.done = False

    def _start(self) -> list[Event]:
        self._started = True
        # Like Anthropic's message_start, announce the input now (estimated: OpenAI streams
        # report usage only at the end), so a stream cut short still accounts for its input.
        start_usage = Usage(input_tokens=self._estimated_input).to_anthropic()
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        return [{"type": "message_start", "message": message}, {"type": "ping"}]

    def _open(self, out: list[Event], kind: str, block: dict[str, Any]) -> int:
        self._close(out)
        index = self._block = self._blocks
        self._blocks += 1
        self._block_kind = kind
        out.append({"type": "content_block_start", "index": index, "content_block": block})
        return index

    def _close(self, out: list[Event]) -> None:
        if self._block is not None:
            out.append({"type": "content_block_stop", "index": self._block})
            self._block = None
            self._block_kind = ""

    def feed(self, chunk: Event) -> list[Event]:
        if self.done:
            return []
        out = [] if self._started else self._start()
        if chunk.get("error"):
            self.done = True
            return [*out, self.error_event(chunk["error"])]
        usage = find_openai_usage(chunk)
        if usage:
            self.usage = usage_from_openai(usage) or self.usage
            self.usage_seen = True
        choices = chunk.get("choices") or ()
        if not choices:
            return out
        choice = choices[0]
        delta = choice.get("delta") or {}
        reasoning = delta.get("reasoning_content")
        if reasoning:
            if self._block_kind != "thinking":
                block = {"type": "thinking", "thinking": "", "signature": ""}
                self._open(out, "thinking", block)
            self._chars += len(reasoning)
            out.append(self._delta({"type": "thinking_delta", "thinking": reasoning}))
        text = delta.get("content")
        if text:
            if self._block_kind != "text":
                self._open(out, "text", {"type": "text", "text": ""})
            self._chars += len(text)
            out.append(self._delta({"type": "text_delta", "text": text}))
        for call in delta.get("tool_calls") or ():
            self._tool_call(out, call)
        if choice.get("finish_reason"):
            self.stop_reason = finish_to_stop(choice["finish_reason"])
            self._close(out)
        return out

    def _delta(self, delta: dict[str, Any], index: int | None = None) -> Event:
        at = self._block if index is None else index
        return {"type": "content_block_delta", "index": at, "delta": delta}

    def _tool_call(self, out: list[Event], call: dict[str, Any]) -> None:
        position = call.get("index", len(self._tool_blocks))
        fn = call.get("function") or {}
        index = self._tool_blocks.get(position)
        if index is None:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call.get("id") or new_id("toolu"),
                "name": fn.get("name") or "",
                "input": {},
            }
            index = self._tool_blocks[position] = self._open(out, "tool", block)
        arguments = fn.get("arguments")
        if arguments:
            self._chars += len(arguments)
            out.append(self._delta({"type": "input_json_delta", "partial_json": arguments}, index))

    def finish(self) -> list[Event]:
        """End of the upstream stream (``[DONE]``): close blocks, report usage, stop."""
        if self.done:
            return []
        self.done = True
        out = [] if self._started else self._start()
        self._close(out)
        if not self.usage_seen:
            self.usage = Usage(self._estimated_input, max(1, math.ceil(self._chars / 4)))
        delta = {"stop_reason": self.stop_reason or "end_turn", "stop_sequence": None}
        out.append({"type": "message_delta", "delta": delta, "usage": self.usage.to_anthropic()})
        out.append({"type": "message_stop"})
        return out

    @staticmethod
    def error_event(error: Any) -> Event:
        if not isinstance(error, dict):
            error = {"message": str(error)}
        kind = OPENAI_TO_ANTHROPIC_ERROR.get(str(error.get("type")), "api_error")
        message = error.get("message") or "upstream error"
        return {"type": "error", "error": {"type": kind, "message": message}}

"""Canonical (Anthropic) messages and stream events as the Responses API's objects and events.

A response's output follows the canonical content block by block: a text block is a
``message`` item (one ``output_text`` part), a tool_use block a ``function_call`` item
(``call_id`` is the tool_use id; a namespaced tool's flat name is split back into
``namespace`` and ``name``), a thinking block a ``reasoning`` item (its text a
``summary_text`` part, its signature the ``encrypted_content``). The status comes from the
stop reason: ``max_tokens`` → ``incomplete`` (``max_output_tokens``), ``refusal`` →
``incomplete`` (``content_filter``), anything else ``completed``. Usage: ``input_tokens``
counts all input, the cached part in ``input_tokens_details.cached_tokens`` (cache writes in
``cache_write_tokens``). The response repeats the request's parameters (``echo``).

``AnthropicToResponsesStream`` turns canonical events into the named SSE events, each with
its ``sequence_number`` (0, 1, 2...):

    message_start    → response.created, response.in_progress
    text block       → response.output_item.added, response.content_part.added,
                       response.output_text.delta..., response.output_text.done,
                       response.content_part.done, response.output_item.done
    tool_use block   → response.output_item.added, response.function_call_arguments.delta...,
                       response.function_call_arguments.done, response.output_item.done
    thinking block   → response.output_item.added, response.reasoning_summary_part.added,
                       response.reasoning_summary_text.delta..., ...text.done, ...part.done,
                       response.output_item.done
    message_stop     → response.completed (or response.incomplete), with the usage
    error            → error, then response.failed (the output so far, the error's code)
"""

from __future__ import annotations

import time
from typing import Any

from caicaini.gateway.upstreams.base import Usage
from caicaini.gateway.wire.responses_request import ResponsesRequest
from caicaini.kit.ids import new_id
from caicaini.kit.sse import dumps

Event = dict[str, Any]

INCOMPLETE = {
    "max_tokens": "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    "refusal": "content_filter",
}
# Canonical (Anthropic) error types → the Responses API's error codes (Codex waits and retries
# on rate_limit_exceeded, retries server_error).
ERROR_CODES = {"rate_limit_error": "rate_limit_exceeded", "invalid_request_error": "invalid_prompt"}
# A canonical delta → (the block it belongs to, its field, the event, the event's other fields)
DELTAS: dict[Any, tuple[str, str, str, dict[str, Any]]] = {
    "text_delta": ("text", "text", "response.output_text.delta",
                   {"content_index": 0, "logprobs": ()}),
    "input_json_delta": ("tool", "partial_json", "response.function_call_arguments.delta", {}),
    "thinking_delta": ("thinking", "thinking", "response.reasoning_summary_text.delta",
                       {"summary_index": 0}),
}  # fmt: skip
TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})


def usage_to_responses(usage: Usage) -> dict[str, Any]:
    total_input = usage.total_input
    return {
        "input_tokens": total_input,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_input_tokens,
            "cache_write_tokens": usage.cache_creation_input_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": total_input + usage.output_tokens,
    }


def response_object(
    req: ResponsesRequest,
    response_id: str,
    created_at: int,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None = None,
    *,
    incomplete: str | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "completed_at": int(time.time()) if status == "completed" else None,
        "error": error,
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "model": req.model,
        "output": output,
        "usage": usage,
    }
    out.update(req.echo)
    return out


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(item_id: str, text: str | None, status: str = "completed") -> dict[str, Any]:
    content = [] if text is None else [output_text(text)]
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def function_call_item(
    item_id: str,
    call_id: str,
    name: str,
    arguments: str,
    namespaces: dict[str, tuple[str, str]],
    status: str = "completed",
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }
    split = namespaces.get(name)
    if split is not None:
        item["namespace"], item["name"] = split
    return item


def reasoning_item(
    item_id: str, text: str | None, signature: str | None, status: str = "completed"
) -> dict[str, Any]:
    summary = [] if text is None else [{"type": "summary_text", "text": text}]
    return {
        "id": item_id,
        "type": "reasoning",
        "status": status,
        "summary": summary,
        "encrypted_content": signature or None,
    }


def response_id(message_id: Any) -> str:
    return "resp_" + str(message_id or new_id("msg")).removeprefix("msg_")


def anthropic_to_responses(msg: dict[str, Any], req: ResponsesRequest) -> dict[str, Any]:
    """A complete canonical message as a response object."""
    output: list[dict[str, Any]] = []
    for block in msg.get("content") or ():
        kind = block.get("type")
        if kind == "text":
            output.append(message_item(new_id("msg"), block.get("text", "")))
        elif kind == "tool_use":
            arguments = dumps(block.get("input") or {})
            call_id, name = block.get("id", ""), block.get("name", "")
            output.append(
                function_call_item(new_id("fc"), call_id, name, arguments, req.namespaces)
            )
        elif kind == "thinking":
            thinking, signature = block.get("thinking", ""), block.get("signature")
            output.append(reasoning_item(new_id("rs"), thinking, signature))
    incomplete = INCOMPLETE.get(msg.get("stop_reason") or "")
    usage = usage_to_responses(Usage.from_anthropic(msg.get("usage")))
    status = "incomplete" if incomplete else "completed"
    rid = response_id(msg.get("id"))
    return response_object(req, rid, int(time.time()), status, output, usage, incomplete=incomplete)


class _Block:
    """The output item being streamed: one canonical content block."""

    __slots__ = ("call_id", "index", "item_id", "kind", "name", "pieces", "signature")

    def __init__(self, kind: str, item_id: str, index: int) -> None:
        self.kind = kind  # "text" | "tool" | "thinking"
        self.item_id = item_id
        self.index = index  # output_index
        self.pieces: list[str] = []
        self.call_id = ""
        self.name = ""
        self.signature = ""


class AnthropicToResponsesStream:
    """One canonical stream in, the Responses API's events out (see the module docstring)."""

    __slots__ = (
        "_block",
        "_seq",
        "created_at",
        "finished",
        "id",
        "output",
        "req",
        "stop_reason",
        "usage",
    )

    def __init__(self, req: ResponsesRequest) -> None:
        self.req = req
        self.id = new_id("resp")
        self.created_at = int(time.time())
        self.output: list[dict[str, Any]] = []
        self.usage = Usage()
        self.stop_reason: str | None = None
        self.finished = False
        self._seq = 0
        self._block: _Block | None = None

    def _event(self, kind: str, **fields: Any) -> Event:
        event = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return event

    def _response(self, status: str, **extra: Any) -> dict[str, Any]:
        output = list(self.output)
        return response_object(self.req, self.id, self.created_at, status, output, **extra)

    def feed(self, event: Event) -> list[Event]:
        kind = event.get("type")
        if kind == "content_block_delta":
            return self._delta(event.get("delta") or {})
        if kind == "content_block_start":
            return self._start(event.get("content_block") or {})
        if kind == "content_block_stop":
            return self._stop()
        if kind == "message_start":
            self.usage.update((event.get("message") or {}).get("usage"))
            response = self._response("in_progress")
            return [
                self._event("response.created", response=response),
                self._event("response.in_progress", response=response),
            ]
        if kind == "message_delta":
            self.usage.update(event.get("usage"))
            self.stop_reason = (event.get("delta") or {}).get("stop_reason") or self.stop_reason
            return []
        if kind == "message_stop":
            return self.finish()
        if kind == "error":
            return self.fail(event.get("error") or {})
        return []

    def _start(self, block: dict[str, Any]) -> list[Event]:
        out = self._stop()  # blocks never overlap; close one left open
        kind, index = block.get("type"), len(self.output)
        if kind == "text":
            state = self._block = _Block("text", new_id("msg"), index)
            item = message_item(state.item_id, None, "in_progress")
            out.append(self._event("response.output_item.added", output_index=index, item=item))
            out.append(
                self._event(
                    "response.content_part.added",
                    item_id=state.item_id,
                    output_index=index,
                    content_index=0,
                    part=output_text(""),
                )
            )
            if block.get("text"):
                out += self._delta({"type": "text_delta", "text": block["text"]})
        elif kind == "tool_use":
            state = self._block = _Block("tool", new_id("fc"), index)
            state.call_id, state.name = block.get("id") or new_id("call"), block.get("name") or ""
            item = function_call_item(
                state.item_id, state.call_id, state.name, "", self.req.namespaces, "in_progress"
            )
            out.append(self._event("response.output_item.added", output_index=index, item=item))
        elif kind == "thinking":
            state = self._block = _Block("thinking", new_id("rs"), index)
            state.signature = block.get("signature") or ""
            item = reasoning_item(state.item_id, None, None, "in_progress")
            part = {"type": "summary_text", "text": ""}
            out.append(self._event("response.output_item.added", output_index=index, item=item))
            out.append(
                self._event(
                    "response.reasoning_summary_part.added",
                    item_id=state.item_id,
                    output_index=index,
                    summary_index=0,
                    part=part,
                )
            )
            if block.get("thinking"):
                out += self._delta({"type": "thinking_delta", "thinking": block["thinking"]})
        return out

    def _delta(self, delta: dict[str, Any]) -> list[Event]:
        state, kind = self._block, delta.get("type")
        if state is None:
            return []
        if kind == "signature_delta" and state.kind == "thinking":
            state.signature += delta.get("signature") or ""
            return []
        spec = DELTAS.get(kind)
        if spec is None or spec[0] != state.kind:
            return []
        _block, field, name, extra = spec
        piece = delta.get(field) or ""
        state.pieces.append(piece)
        at = {"item_id": state.item_id, "output_index": state.index}
        return [self._event(name, **at, **extra, delta=piece)]

    def _stop(self) -> list[Event]:
        state, self._block = self._block, None
        if state is None:
            return []
        text, at = "".join(state.pieces), {"item_id": state.item_id, "output_index": state.index}
        if state.kind == "text":
            item = message_item(state.item_id, text)
            out = [
                self._event(
                    "response.output_text.done", **at, content_index=0, text=text, logprobs=[]
                ),
                self._event(
                    "response.content_part.done", **at, content_index=0, part=output_text(text)
                ),
            ]
        elif state.kind == "tool":
            arguments = text or "{}"
            item = function_call_item(
                state.item_id, state.call_id, state.name, arguments, self.req.namespaces
            )
            out = [self._event("response.function_call_arguments.done", **at, arguments=arguments)]
        else:
            item = reasoning_item(state.item_id, text, state.signature)
            part = {"type": "summary_text", "text": text}
            out = [
                self._event(
                    "response.reasoning_summary_text.done", **at, summary_index=0, text=text
                ),
                self._event(
                    "response.reasoning_summary_part.done", **at, summary_index=0, part=part
                ),
            ]
        self.output.append(item)
        out.append(self._event("response.output_item.done", output_index=state.index, item=item))
        return out

    def finish(self) -> list[Event]:
        """The message is complete: response.completed (or .incomplete) with the usage."""
        if self.finished:
            return []
        self.finished = True
        out = self._stop()
        incomplete = INCOMPLETE.get(self.stop_reason or "")
        status = "incomplete" if incomplete else "completed"
        usage = usage_to_responses(self.usage)
        response = self._response(status, usage=usage, incomplete=incomplete)
        out.append(self._event(f"response.{status}", response=response))
        return out

    def fail(self, error: dict[str, Any]) -> list[Event]:
        """Upstream failed mid-stream: an ``error`` event, then response.failed."""
        if self.finished:
            return []
        self.finished = True
        code = ERROR_CODES.get(str(error.get("type")), "server_error")
        message = str(error.get("message") or "upstream error")
        usage = usage_to_responses(self.usage)
        response = self._response("failed", usage=usage, error={"code": code, "message": message})
        return [
            self._event("error", code=code, message=message, param=None),
            self._event("response.failed", response=response),
        ]

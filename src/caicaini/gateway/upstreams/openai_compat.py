"""The OpenAI-compatible adapter (Moonshot/Kimi): canonical Anthropic bodies are translated
to chat completions and the answers back, so the gateway never sees the difference.

Streams always ask for usage (``stream_options.include_usage``) and read it wherever Moonshot
puts it (top level or ``choices[0].usage``). A Moonshot error keeps its status and wording;
its type is mapped to Anthropic's vocabulary (``engine_overloaded_error`` →
``overloaded_error``...). Token counting is a local estimate (ceil(characters / 4) of the
translated messages and tools): Moonshot's estimator is a separate paid call.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any

import httpx

from caicaini.errors import UpstreamError
from caicaini.gateway.upstreams.anthropic import stream_failure
from caicaini.gateway.upstreams.base import UpstreamRequest
from caicaini.gateway.upstreams.http import (
    JSON,
    DirectPost,
    default_error_type,
    encode,
    json_body,
    make_client,
    retry_after,
    transport_error,
)
from caicaini.gateway.wire.requests import anthropic_request_to_openai
from caicaini.gateway.wire.responses import openai_response_to_anthropic
from caicaini.gateway.wire.streams import OPENAI_TO_ANTHROPIC_ERROR, OpenAIToAnthropicStream
from caicaini.kit.sse import aiter_sse, dumps

NEVER_FORWARD = frozenset({"authorization", "x-api-key", "cookie", "host", "content-length"})


def forwarded_headers(req: UpstreamRequest) -> dict[str, str]:
    headers = dict(JSON)
    for name, value in req.headers.items():
        lower = name.lower()
        if lower not in NEVER_FORWARD and not lower.startswith("anthropic-"):
            headers[lower] = value
    return headers


def error_from_response(response: httpx.Response, label: str) -> UpstreamError:
    status = response.status_code
    error_type, message = default_error_type(status), ""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            upstream_type = str(error.get("type") or "")
            error_type = OPENAI_TO_ANTHROPIC_ERROR.get(upstream_type, error_type)
            message = str(error.get("message") or "")
    except ValueError:
        message = response.text[:500]
    return UpstreamError(
        message or f"{label} answered HTTP {status}",
        status=status,
        error_type=error_type,
        retry_after=retry_after(response),
    )


def estimate_input_tokens(body: dict[str, Any]) -> int:
    chars = len(dumps(body.get("messages") or []))
    if body.get("tools"):
        chars += len(dumps(body["tools"]))
    return max(1, math.ceil(chars / 4))


class OpenAICompatProvider:
    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        name: str = "moonshot",
        label: str = "Moonshot AI",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self.name = name
        self.label = label
        headers = {"accept": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self._client = make_client(
            base_url, headers=headers, transport=transport, timeout=timeout, limits=limits
        )
        self._post_completion = DirectPost(self._client, "/chat/completions")

    def _body(self, req: UpstreamRequest, *, stream: bool) -> dict[str, Any]:
        body = dict(req.body)
        body["stream"] = stream
        return anthropic_request_to_openai(body, req.max_output_tokens, model=req.upstream_model)

    async def send(self, req: UpstreamRequest) -> dict[str, Any]:
        body = self._body(req, stream=False)
        try:
            response = await self._post_completion(encode(body), forwarded_headers(req))
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.label) from None
        if response.status_code >= 400:
            raise error_from_response(response, self.label)
        return openai_response_to_anthropic(
            json_body(response, self.label), str(req.body.get("model"))
        )

    async def stream(self, req: UpstreamRequest) -> AsyncIterator[dict[str, Any]]:
        body = self._body(req, stream=True)
        translator = OpenAIToAnthropicStream(
            str(req.body.get("model")), estimated_input_tokens=estimate_input_tokens(body)
        )
        started = ended = False
        try:
            async with self._client.stream(
                "POST", "/chat/completions", content=encode(body), headers=forwarded_headers(req)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response, self.label)
                async for sse in aiter_sse(response.aiter_bytes()):
                    if sse.data == "[DONE]":
                        ended = True
                        break
                    chunk = json.loads(sse.data)
                    if not started and chunk.get("error"):
                        raise self._error_from_chunk(chunk["error"], response.status_code)
                    for event in translator.feed(chunk):
                        started = True
                        yield event
                    if translator.done:
                        return
        except (httpx.HTTPError, ValueError) as exc:
            if not started:
                if isinstance(exc, httpx.HTTPError):
                    raise transport_error(exc, self.label) from None
                raise UpstreamError(
                    f"{self.label} sent a malformed stream", status=502, error_type="api_error"
                ) from None
            yield stream_failure(exc, self.label)
            return
        ended = ended or translator.stop_reason is not None
        if not ended and not started:
            raise UpstreamError(
                f"{self.label} closed the stream without a message",
                status=502,
                error_type="api_error",
            )
        if not ended:
            message = f"{self.label} closed the stream before the message ended"
            yield {"type": "error", "error": {"type": "api_error", "message": message}}
            return
        for event in translator.finish():
            yield event

    def _error_from_chunk(self, error: Any, status: int) -> UpstreamError:
        event = OpenAIToAnthropicStream.error_event(error)["error"]
        code = 529 if event["type"] == "overloaded_error" else 500
        return UpstreamError(
            event["message"], status=code if status < 400 else status, error_type=event["type"]
        )

    async def count_tokens(self, req: UpstreamRequest) -> int:
        return estimate_input_tokens(self._body(req, stream=False))

    async def aclose(self) -> None:
        await self._client.aclose()

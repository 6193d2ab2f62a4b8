"""The Anthropic Messages adapter: the canonical format on the wire, so requests pass
through nearly untouched (unknown fields included, for new API features).

Changes made to a body: ``model`` becomes the upstream model id, ``max_tokens`` is clamped
to the model's limit, and thinking blocks without a signature are left out: Anthropic refuses
them, and they come only from other providers' reasoning (a conversation that moved from a
Kimi model to a Claude one, reasoning items sent back to the Responses API).
Headers: ``x-api-key`` when a key is configured, ``anthropic-version`` (default
``2023-06-01``) and ``anthropic-beta`` as the client sent them, plus whatever the gateway put
in ``UpstreamRequest.headers`` — except credentials, which are never forwarded.
Responses name OUR model id. Upstream errors keep their status, type and wording.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from caicaini.errors import UpstreamError
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
from caicaini.kit.sse import aiter_sse

DEFAULT_VERSION = "2023-06-01"
UNSIGNED = b'"signature":""'
NEVER_FORWARD = frozenset({"authorization", "x-api-key", "cookie", "host", "content-length"})
COUNT_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers")
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def forwarded_headers(req: UpstreamRequest) -> dict[str, str]:
    headers = {"anthropic-version": DEFAULT_VERSION, **JSON}
    for name, value in req.headers.items():
        lower = name.lower()
        if lower not in NEVER_FORWARD:
            headers[lower] = value
    return headers


def error_from_response(response: httpx.Response, label: str) -> UpstreamError:
    status = response.status_code
    error_type, message = default_error_type(status), ""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            error_type = str(error.get("type") or error_type)
            message = str(error.get("message") or "")
    except ValueError:
        message = response.text[:500]
    exc = UpstreamError(
        message or f"{label} answered HTTP {status}",
        status=status,
        error_type=error_type,
        retry_after=retry_after(response),
    )
    request_id = response.headers.get("request-id")
    if request_id:
        exc.details["request_id"] = request_id
    return exc


def error_from_event(event: dict[str, Any]) -> UpstreamError:
    error = event.get("error") or {}
    error_type = str(error.get("type") or "api_error")
    message = str(error.get("message") or "upstream error")
    return UpstreamError(message, status=ERROR_STATUS.get(error_type, 500), error_type=error_type)


def stream_failure(exc: Exception, label: str) -> dict[str, Any]:
    """A failure after the first event, as the error event the stream ends with."""
    error = (
        transport_error(exc, label)
        if isinstance(exc, httpx.HTTPError)
        else UpstreamError(f"{label} sent a malformed stream", status=502, error_type="api_error")
    )
    return {"type": "error", "error": {"type": error.error_type, "message": error.message}}


def without_unsigned_thinking(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            kept = [b for b in content if b.get("type") != "thinking" or b.get("signature")]
            if not kept:
                continue  # a turn that only thought: nothing left to send
            message = {**message, "content": kept}
        out.append(message)
    return out


class AnthropicProvider:
    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        name: str = "anthropic",
        label: str = "Anthropic",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self.name = name
        self.label = label
        headers = {"accept": "application/json"}
        if api_key:
            headers["x-api-key"] = api_key
        # Documented without /v1; accept it with /v1 too rather than calling /v1/v1/messages.
        base_url = base_url.rstrip("/").removesuffix("/v1")
        self._client = make_client(
            base_url, headers=headers, transport=transport, timeout=timeout, limits=limits
        )
        self._post_message = DirectPost(self._client, "/v1/messages")

    def _body(self, req: UpstreamRequest, *, stream: bool) -> bytes:
        body = dict(req.body)
        body["model"] = req.upstream_model
        requested = body.get("max_tokens")
        limit = req.max_output_tokens
        body["max_tokens"] = min(requested, limit) if isinstance(requested, int) else limit
        if stream:
            body["stream"] = True
        else:
            body.pop("stream", None)
        encoded = encode(body)
        if UNSIGNED not in encoded:  # a byte search: the common case costs nothing more
            return encoded
        body["messages"] = without_unsigned_thinking(body.get("messages") or [])
        return encode(body)

    async def send(self, req: UpstreamRequest) -> dict[str, Any]:
        try:
            response = await self._post_message(
                self._body(req, stream=False), forwarded_headers(req)
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.label) from None
        if response.status_code >= 400:
            raise error_from_response(response, self.label)
        message = json_body(response, self.label)
        message["model"] = req.body.get("model", message.get("model"))
        return message

    async def stream(self, req: UpstreamRequest) -> AsyncIterator[dict[str, Any]]:
        started = False
        content, headers = self._body(req, stream=True), forwarded_headers(req)
        try:
            async with self._client.stream(
                "POST", "/v1/messages", content=content, headers=headers
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response, self.label)
                async for sse in aiter_sse(response.aiter_bytes()):
                    event = json.loads(sse.data)
                    kind = event.get("type")
                    if kind == "error" and not started:
                        raise error_from_event(event)
                    if kind == "message_start":
                        event["message"]["model"] = req.body.get("model")
                    started = True
                    yield event
                    if kind == "message_stop" or kind == "error":
                        return
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            if not started:
                if isinstance(exc, httpx.HTTPError):
                    raise transport_error(exc, self.label) from None
                raise UpstreamError(
                    f"{self.label} sent a malformed stream", status=502, error_type="api_error"
                ) from None
            yield stream_failure(exc, self.label)
            return
        if not started:
            raise UpstreamError(
                f"{self.label} closed the stream without a message",
                status=502,
                error_type="api_error",
            )
        message = f"{self.label} closed the stream before the message ended"
        yield {"type": "error", "error": {"type": "api_error", "message": message}}

    async def count_tokens(self, req: UpstreamRequest) -> int:
        body = {k: req.body[k] for k in COUNT_FIELDS if k in req.body}
        body["model"] = req.upstream_model
        try:
            response = await self._client.post(
                "/v1/messages/count_tokens", content=encode(body), headers=forwarded_headers(req)
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.label) from None
        if response.status_code >= 400:
            raise error_from_response(response, self.label)
        return int(json_body(response, self.label).get("input_tokens") or 0)

    async def aclose(self) -> None:
        await self._client.aclose()

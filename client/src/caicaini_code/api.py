"""A small typed client of Caicaini's public HTTP API (the only way the client talks to it).

Messages go to ``POST /v1/messages`` as Anthropic-format streams; the server ends a complete
stream with a ``caicaini_charge`` event (the credits charged, the balance left, the receipt).
A stream that did not complete (cut upstream, or stopped with Ctrl-C) has no such event: its
charge is read back by request id (``GET /api/v1/usage/{request_id}``). The client shows
those figures, never its own estimate.

Opening a stream is retried on what is worth retrying before any byte arrived (a 529 or 5xx,
a short 429, a dropped connection), as the official SDKs do.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

ANTHROPIC_VERSION = "2023-06-01"
RETRY_STATUSES = frozenset({408, 409, 500, 502, 503, 504, 529})
MAX_RETRIES = 2
# The longest wait a rate-limited request is retried after (longer ones fail with the time).
MAX_RETRY_WAIT = float(os.environ.get("CAICAINI_CODE_MAX_RETRY_WAIT", "20"))
TIMEOUT = httpx.Timeout(connect=10.0, read=330.0, write=60.0, pool=10.0)


class ApiError(Exception):
    """The server refused or failed a request; ``code`` is the stable reason when known."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.error_type = error_type
        self.retry_after = retry_after
        self.request_id = request_id


class ConnectionFailed(ApiError):
    def __init__(self, base_url: str, detail: str) -> None:
        super().__init__(0, f"cannot reach {base_url}: {detail}", code="connection_failed")


@dataclass(frozen=True)
class Charge:
    """What the server charged for one message (``caicaini_charge`` or the usage record)."""

    request_id: str
    credits_charged: int
    credits_remaining: int | None
    receipt_id: str | None


@dataclass(frozen=True)
class Quote:
    max_credits: int
    balance: int
    units: int
    credits_per_unit: int


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return float(value)
    except ValueError:
        return None


def error_from(response: httpx.Response) -> ApiError:
    """Both error shapes the server speaks: the JSON API's and Anthropic's."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or response.reason_phrase or "request failed")
    return ApiError(
        response.status_code,
        message,
        code=response.headers.get("caicaini-error-code") or error.get("code"),
        error_type=error.get("type"),
        retry_after=_retry_after(response),
        request_id=response.headers.get("request-id") or body.get("request_id"),
    )


class MessageStream:
    """One open ``/v1/messages`` stream: iterate ``(event, data)``; always ``close()``."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.request_id: str = response.headers.get("request-id", "")
        self.max_tokens_lowered = response.headers.get("caicaini-max-tokens-lowered")

    def events(self) -> Iterator[tuple[str, dict[str, Any]]]:
        name, data = "message", list[str]()
        for line in self.response.iter_lines():
            if not line:
                if data:
                    yield name, json.loads("\n".join(data))
                name, data = "message", list[str]()
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())

    def close(self) -> None:
        self.response.close()


class Api:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
        on_retry: Callable[[str, float], None] | None = None,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.on_retry = on_retry
        headers = {"user-agent": "caicaini-code/0.1", "anthropic-version": ANTHROPIC_VERSION}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self.http = httpx.Client(
            base_url=base_url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def close(self) -> None:
        self.http.close()

    # -- plain requests -------------------------------------------------------------------
    def _request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ConnectionFailed(self.base_url, str(exc) or type(exc).__name__) from None
        if response.status_code >= 400:
            raise error_from(response)
        return response.json()

    def balance(self) -> dict[str, Any]:
        return dict(self._request("GET", "/api/v1/balance"))

    def usage(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/v1/usage", params={"limit": limit})["data"])

    def usage_summary(self, since: str) -> dict[str, Any]:
        return dict(self._request("GET", "/api/v1/usage/summary", params={"from": since}))

    def keys(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/v1/keys")["data"])

    def models(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/v1/models")["data"])

    def revoke_this_key(self) -> dict[str, Any]:
        return dict(self._request("DELETE", "/api/v1/keys/current"))

    def device_code(self, device_name: str, fingerprint: str | None) -> dict[str, Any]:
        body = {"device_name": device_name, "fingerprint": fingerprint}
        return dict(self._request("POST", "/api/v1/device/code", json=body))

    def device_token(self, device_code: str) -> dict[str, Any]:
        body = {"device_code": device_code}
        return dict(self._request("POST", "/api/v1/device/token", json=body))

    def quote(self, body: bytes) -> Quote:
        data = self._request(
            "POST", "/api/v1/quote", content=body, headers={"content-type": "application/json"}
        )
        return Quote(data["max_credits"], data["balance"], data["units"], data["credits_per_unit"])

    def charge_of(self, request_id: str, *, wait: float = 5.0) -> Charge | None:
        """The charge of a message that ended without ``caicaini_charge``: the server settles
        it as the stream closes, so wait (bounded) for the record to appear."""
        deadline = time.monotonic() + wait
        while True:
            try:
                data = self._request("GET", f"/api/v1/usage/{request_id}")
            except ApiError as exc:
                if exc.status != 404 or time.monotonic() > deadline:
                    return None
                time.sleep(0.1)
                continue
            return Charge(request_id, int(data["credits_charged"]), None, data.get("receipt_id"))

    # -- streams --------------------------------------------------------------------------
    def stream_message(self, body: bytes) -> MessageStream:
        headers = {"content-type": "application/json", "accept": "text/event-stream"}
        attempt = 0
        while True:
            try:
                request = self.http.build_request(
                    "POST", "/v1/messages", content=body, headers=headers
                )
                response = self.http.send(request, stream=True)
            except httpx.TransportError as exc:
                if attempt < MAX_RETRIES:
                    attempt += 1
                    self._wait(f"connection failed ({type(exc).__name__})", float(attempt))
                    continue
                raise ConnectionFailed(self.base_url, str(exc) or type(exc).__name__) from None
            if response.status_code < 400:
                return MessageStream(response)
            response.read()
            error = error_from(response)
            response.close()
            wait = error.retry_after if error.retry_after is not None else float(2**attempt)
            retryable = error.status in RETRY_STATUSES or (
                error.status == 429 and wait <= MAX_RETRY_WAIT
            )
            if (
                attempt < MAX_RETRIES
                and retryable
                and response.headers.get("x-should-retry") != "false"
            ):
                attempt += 1
                self._wait(f"{error.status} {error.message}", min(wait, MAX_RETRY_WAIT))
                continue
            raise error

    def _wait(self, reason: str, seconds: float) -> None:
        if self.on_retry is not None:
            self.on_retry(reason, seconds)
        time.sleep(seconds)

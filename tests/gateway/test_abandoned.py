"""A client that leaves while upstream hangs before its first byte: the gateway cancels the
upstream call, frees the concurrency slot and settles (nothing produced: nothing charged) at
once, streaming or not. Before, the slot and the hold stayed for as long as upstream hung (up
to ten minutes), and the customer's next requests got 429 "too many concurrent requests".

Through a real server (uvicorn on a socket): only a real connection can close under a
request the gateway is still working on."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeScript
from caicaini.testing.live_server import LiveServer
from tests.gateway.support import (
    CLAUDE,
    RATES,
    anthropic_headers,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    message_body,
    usage_of,
)

CHAT = {"model": CLAUDE, "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}


async def leave_while_upstream_hangs(
    base_url: str, fake: FakeScript, path: str, key: str, body: dict[str, Any]
) -> None:
    """Send the request on a raw socket, wait until upstream has it (and hangs), hang up."""
    seen = len(fake.requests)
    fake.hang()
    url = urlsplit(base_url)
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        f"x-api-key: {key}\r\nAuthorization: Bearer {key}\r\n"
        f"anthropic-version: 2023-06-01\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    sock = socket.create_connection((url.hostname, url.port))
    sock.sendall(head.encode() + payload)
    for _ in range(1000):  # bounded: upstream got the call
        if len(fake.requests) > seen:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("upstream never got the request")
    sock.close()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/messages", message_body(CLAUDE, stream=True)),
        ("/v1/messages", message_body(CLAUDE)),
        ("/v1/chat/completions", CHAT),
        ("/v1/chat/completions", {**CHAT, "stream": True}),
    ],
    ids=["anthropic-stream", "anthropic", "openai", "openai-stream"],
)
async def test_a_client_leaving_before_the_first_byte_frees_its_slot_and_hold_at_once(
    live: LiveServer, lctx: AppContext, fake: FakeScript, path: str, body: dict[str, Any]
) -> None:
    account = await customer(lctx)
    key = await issue_key(lctx, account, concurrency_override=1)  # one request at a time
    await leave_while_upstream_hangs(live.url, fake, path, key, body)
    # The abandoned request is settled (released: nothing was produced) without waiting
    # for upstream, which would hang for ten minutes...
    for _ in range(1000):
        records = await usage_of(lctx, account)
        if records:
            break
        await asyncio.sleep(0.01)
    assert [(r.outcome, r.credits_charged) for r in records] == [("client_disconnect", 0)]
    assert await balance(lctx, account) == 1000
    # ...and its one concurrency slot is free: the next request is served, not refused.
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        r = await http.post(
            "/v1/messages", json=message_body(CLAUDE), headers=anthropic_headers(key)
        )
    assert r.status_code == 200, r.text
    assert await balance(lctx, account) == 1000 - RATES[CLAUDE]
    await assert_books_balance(lctx)

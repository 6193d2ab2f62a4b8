"""Streams in-process: named events, OpenAI chunks, charges for complete, cut and failed
streams, and the client leaving mid-stream."""

from __future__ import annotations

import json
from typing import Any

import httpx

from caicaini.context import AppContext
from caicaini.kit.sse import SSEDecoder
from caicaini.testing.fake_upstream import FakeScript
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    RATES,
    anthropic_headers,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    message_body,
    read_events,
    receipts_of,
    settled,
)


async def test_anthropic_stream_is_charged_at_final_usage(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    headers = anthropic_headers(key, **{"x-fake-output-tokens": "2500"})
    async with gclient.stream(
        "POST",
        "/v1/messages",
        json=message_body(CLAUDE, stream=True, max_tokens=4000),
        headers=headers,
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = await read_events(r)
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_stop", "caicaini_charge"]
    assert all(name == data["type"] for name, data in events)
    record = await settled(gctx, account)
    assert (record.outcome, record.units, record.output_tokens) == ("ok", 2, 2500)
    assert await balance(gctx, account) == 1000 - 2 * RATES[CLAUDE]
    await assert_books_balance(gctx)


async def test_a_stream_ends_with_the_servers_own_charge(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    """The charge of a stream is known only at its end: the last event carries it (credits,
    balance after, receipt), equal to the ledger's figures."""
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    headers = anthropic_headers(key, **{"x-fake-output-tokens": "2500"})
    body = message_body(CLAUDE, stream=True, max_tokens=4000)
    async with gclient.stream("POST", "/v1/messages", json=body, headers=headers) as r:
        request_id = r.headers["caicaini-request-id"]
        events = await read_events(r)
    name, charge = events[-1]
    assert name == "caicaini_charge"
    record = await settled(gctx, account)
    assert charge == {
        "type": "caicaini_charge",
        "request_id": request_id,
        "credits_charged": record.credits_charged,
        "credits_remaining": await balance(gctx, account),
        "receipt_id": charge["receipt_id"],
        "units": 2,
    }
    assert charge["credits_charged"] == 2 * RATES[CLAUDE]
    [receipt] = await receipts_of(gctx, account)
    assert (receipt.id, receipt.request_id) == (charge["receipt_id"], request_id)


async def test_openai_stream_carries_the_charge_on_its_last_chunks(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    """No chunk of its own (naive clients index ``choices[0]``): the finishing chunk and the
    usage chunk carry a ``caicaini`` object."""
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    for include_usage in (False, True):
        body: dict[str, Any] = {"model": CLAUDE, "stream": True, "messages": [
            {"role": "user", "content": "hi"}
        ]}  # fmt: skip
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        async with gclient.stream(
            "POST", "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
        ) as r:
            events = await read_events(r)
        chunks = [data for _, data in events[:-1]]
        assert all(c["choices"] for c in chunks if not include_usage)
        charged = [c["caicaini"] for c in chunks if "caicaini" in c]
        assert charged and chunks[-1]["caicaini"] == charged[0]
        assert charged[0]["credits_charged"] == RATES[CLAUDE]
        finishing = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"])
        assert "caicaini" in finishing
    assert await balance(gctx, account) == 1000 - 2 * RATES[CLAUDE]


async def test_openai_stream_with_usage_chunk_for_kimi(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    body = {
        "model": KIMI,
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    }
    async with gclient.stream(
        "POST", "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
    ) as r:
        assert r.status_code == 200
        events = await read_events(r)
    assert events[-1] == (None, "[DONE]")
    chunks = [data for _, data in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text.startswith("Echo")
    record = await settled(gctx, account)
    assert record.credits_charged == RATES[KIMI]
    assert await balance(gctx, account) == 1000 - RATES[KIMI]


async def test_mid_stream_error_charges_what_was_delivered(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    headers = anthropic_headers(
        key, **{"x-fake-output-tokens": "3000", "x-fake-fail-after-events": "6"}
    )
    body = message_body(CLAUDE, stream=True, max_tokens=8000)  # hold: 4 units
    async with gclient.stream("POST", "/v1/messages", json=body, headers=headers) as r:
        assert r.status_code == 200
        events = await read_events(r)
    assert events[-1][0] == "error"
    assert "message_stop" not in [name for name, _ in events]
    record = await settled(gctx, account)
    assert record.outcome == "upstream_error"
    assert record.credits_held == 4 * RATES[CLAUDE]
    assert record.credits_charged == RATES[CLAUDE]  # a few tokens: one unit
    assert await balance(gctx, account) == 1000 - RATES[CLAUDE]
    await assert_books_balance(gctx)


async def test_error_before_any_output_in_a_stream_costs_nothing(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    headers = anthropic_headers(key, **{"x-fake-status": "529"})
    r = await gclient.post("/v1/messages", json=message_body(stream=True), headers=headers)
    assert r.status_code == 529
    assert r.json()["error"]["type"] == "overloaded_error"
    record = await settled(gctx, account)
    assert (record.outcome, record.credits_charged) == ("upstream_error", 0)
    assert await balance(gctx, account) == 1000


async def test_client_disconnect_charges_only_what_was_produced(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    headers = anthropic_headers(
        key, **{"x-fake-output-tokens": "5000", "x-fake-tokens-per-second": "200"}
    )
    body = message_body(CLAUDE, stream=True, max_tokens=8000)  # hold: 4 units = 12 credits
    async with gclient.stream("POST", "/v1/messages", json=body, headers=headers) as r:
        assert r.status_code == 200
        deltas = 0
        decoder = SSEDecoder()
        async for chunk in r.aiter_bytes():
            deltas += sum(e.event == "content_block_delta" for e in decoder.feed(chunk))
            if deltas >= 5:
                break  # leave mid-stream
    record = await settled(gctx, account)
    assert record.outcome == "client_disconnect"
    assert record.credits_held == 12
    assert record.credits_charged == RATES[CLAUDE]
    assert await balance(gctx, account) == 1000 - RATES[CLAUDE]
    await assert_books_balance(gctx)


async def test_openai_endpoint_translates_a_tool_call(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    body = {
        "model": CLAUDE,
        "messages": [{"role": "user", "content": "please use tool for Paris"}],
        "tools": [tool],
    }
    r = await gclient.post(
        "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
    )
    assert r.status_code == 200, r.text
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert isinstance(json.loads(call["function"]["arguments"]), dict)
    assert r.headers["caicaini-credits-charged"] == str(RATES[CLAUDE])


async def test_pings_during_upstream_silence_and_a_client_leaving_then(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    from caicaini.gateway.state import gateway_state

    gateway_state(gctx).ping_interval = 0.05
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    headers = anthropic_headers(
        key,
        **{
            "x-fake-output-tokens": "50",
            "x-fake-hang-after-events": "5",
            "x-fake-ping-interval-ms": "600000",
        },
    )
    body = message_body(CLAUDE, stream=True, max_tokens=8000)
    names: list[str | None] = []
    async with gclient.stream("POST", "/v1/messages", json=body, headers=headers) as r:
        decoder = SSEDecoder()
        async for chunk in r.aiter_bytes():
            names += [e.event for e in decoder.feed(chunk)]
            if names.count("ping") >= 2:
                break  # upstream went silent; the gateway kept the stream alive; we leave
    assert names[0] == "message_start" and "content_block_delta" in names
    record = await settled(gctx, account)
    assert (record.outcome, record.credits_charged) == ("client_disconnect", RATES[CLAUDE])
    assert await balance(gctx, account) == 1000 - RATES[CLAUDE]

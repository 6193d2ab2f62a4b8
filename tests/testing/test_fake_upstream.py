"""The fake upstream's scripting and wire details, over real HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from caicaini.kit.sse import SSEDecoder
from caicaini.testing.fake_upstream import Behaviour, FakeUpstreamServer, estimate_tokens

HELLO = [{"role": "user", "content": "hello"}]


def events(response: httpx.Response) -> list[tuple[str | None, dict]]:
    decoder = SSEDecoder()
    out = [*decoder.feed(response.content), *decoder.flush()]
    return [(e.event, json.loads(e.data)) for e in out if e.data != "[DONE]"]


def post_messages(fake: FakeUpstreamServer, body: dict, **headers: str) -> httpx.Response:
    body = {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": HELLO} | body
    return httpx.post(fake.anthropic_base_url + "/v1/messages", json=body, headers=headers)


def post_chat(fake: FakeUpstreamServer, body: dict, *, v1: bool = True, **headers: str):
    body = {"model": "kimi-k2.5", "messages": HELLO} | body
    base = fake.openai_base_url if v1 else fake.url
    return httpx.post(base + "/chat/completions", json=body, headers=headers)


def test_headers_choose_the_behaviour(fake: FakeUpstreamServer) -> None:
    response = post_messages(fake, {}, **{"x-fake-text": "scripted", "x-fake-cache-read": "3"})
    assert response.json()["content"][0]["text"] == "scripted"
    assert response.json()["usage"]["cache_read_input_tokens"] == 3
    failed = post_messages(fake, {}, **{"x-fake-status": "500"})
    assert failed.status_code == 500
    assert failed.json()["error"]["type"] == "api_error"
    assert failed.json()["request_id"] == failed.headers["request-id"]


def test_directive_in_the_message_chooses_the_behaviour(fake: FakeUpstreamServer) -> None:
    messages = [{"role": "user", "content": "hi [fake status=529 retry-after=9]"}]
    response = post_messages(fake, {"messages": messages})
    assert response.status_code == 529
    assert response.headers["retry-after"] == "9"
    messages = [{"role": "user", "content": "[fake output-tokens=7] go"}]
    reply = post_messages(fake, {"messages": messages}).json()
    assert reply["usage"]["output_tokens"] == 7
    assert "[fake" not in reply["content"][0]["text"]


def test_stream_has_named_events_pings_and_cumulative_usage(fake: FakeUpstreamServer) -> None:
    fake.script.push(Behaviour(text="a b", cache_creation=4))
    got = events(post_messages(fake, {"stream": True}))
    names = [name for name, _ in got]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(name == data["type"] for name, data in got)
    start, delta = got[0][1], got[-2][1]
    assert start["message"]["usage"]["output_tokens"] == 1
    assert delta["usage"]["output_tokens"] == 2
    assert delta["usage"]["input_tokens"] == start["message"]["usage"]["input_tokens"]
    assert delta["usage"]["cache_creation_input_tokens"] == 4


def test_slow_stream_pings_while_silent(fake: FakeUpstreamServer) -> None:
    fake.script.push(Behaviour(text="a b", tokens_per_second=10, ping_interval=0.04))
    names = [name for name, _ in events(post_messages(fake, {"stream": True}))]
    assert names.count("ping") >= 3


def test_strict_api_version_refuses_sampling_parameters(fake: FakeUpstreamServer) -> None:
    strict = post_messages(fake, {"temperature": 0.5}, **{"anthropic-version": "2026-10-21"})
    assert strict.status_code == 400
    assert "temperature" in strict.json()["error"]["message"]
    ok = post_messages(fake, {"temperature": 0.5}, **{"anthropic-version": "2023-06-01"})
    assert ok.status_code == 200


def test_missing_max_tokens_is_a_400(fake: FakeUpstreamServer) -> None:
    body = {"model": "m", "messages": HELLO}
    response = httpx.post(fake.anthropic_base_url + "/v1/messages", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_api_key_is_enforced_when_configured(fake: FakeUpstreamServer) -> None:
    fake.script.api_key = "secret-key"
    assert post_messages(fake, {}).status_code == 401
    assert post_messages(fake, {}, **{"x-api-key": "secret-key"}).status_code == 200
    assert post_chat(fake, {}, authorization="Bearer secret-key").status_code == 200
    assert post_chat(fake, {}).json()["error"]["type"] == "invalid_authentication_error"


def test_chat_completions_with_and_without_v1(fake: FakeUpstreamServer) -> None:
    for v1 in (True, False):
        reply = post_chat(fake, {}, v1=v1).json()
        assert reply["choices"][0]["message"]["content"] == "Echo: hello"
        assert reply["usage"]["prompt_tokens"] == estimate_tokens(HELLO)


def test_moonshot_quirks_put_usage_inside_the_choice(fake: FakeUpstreamServer) -> None:
    fake.script.push(Behaviour(moonshot=True, cache_read=2))
    body = {"stream": True, "stream_options": {"include_usage": True}}
    chunks = [data for _, data in events(post_chat(fake, body))]
    assert all(c["choices"] for c in chunks)  # no separate usage chunk
    last = chunks[-1]["choices"][0]
    assert last["finish_reason"] == "stop"
    assert last["usage"]["cached_tokens"] == 2
    assert "prompt_tokens_details" not in last["usage"]
    fake.script.push(Behaviour(moonshot=True, cache_read=2))
    whole = post_chat(fake, {}).json()
    assert whole["usage"]["cached_tokens"] == 2


def test_openai_stream_without_include_usage_has_no_usage(fake: FakeUpstreamServer) -> None:
    response = post_chat(fake, {"stream": True})
    assert response.text.endswith("data: [DONE]\n\n")
    assert all("usage" not in data for _, data in events(response))


def test_hang_until_the_client_gives_up(fake: FakeUpstreamServer) -> None:
    fake.script.hang()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            fake.anthropic_base_url + "/v1/messages",
            json={"model": "m", "max_tokens": 5, "messages": HELLO},
            timeout=0.3,
        )
    assert post_messages(fake, {}).status_code == 200  # the server is still serving


def test_cli_command_serves_both_formats(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("caicaini")),
        "fake-upstream",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(base + "/v1/models", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        body = {"model": "m", "max_tokens": 9, "messages": HELLO}
        assert httpx.post(base + "/v1/messages", json=body).json()["type"] == "message"
        chat = httpx.post(base + "/v1/chat/completions", json=body).json()
        assert chat["object"] == "chat.completion"
    finally:
        process.terminate()
        process.wait(timeout=10)

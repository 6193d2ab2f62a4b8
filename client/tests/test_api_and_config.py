"""The API client's error shapes and retries, and where credentials live: 0600, one key per
server (never sent to another), CAICAINI_API_KEY and CAICAINI_BASE_URL first."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from caicaini_code import api as api_module
from caicaini_code.api import Api, ApiError
from caicaini_code.config import Credentials, CredentialStore
from caicaini_code.errors import explain
from caicaini_code.render import MarkdownStream


def test_both_error_shapes_and_the_stable_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/balance":
            return httpx.Response(401, json={"error": {"code": "invalid_api_key", "message": "no"}})
        return httpx.Response(
            402,
            json={"type": "error", "error": {"type": "billing_error", "message": "cap"}},
            headers={"caicaini-error-code": "key_cap_reached", "request-id": "req_1"},
        )

    client = Api("http://s", "k", transport=httpx.MockTransport(handler))
    with pytest.raises(ApiError) as refused:
        client.balance()
    assert refused.value.code == "invalid_api_key" and refused.value.status == 401
    with pytest.raises(ApiError) as capped:
        client.stream_message(b"{}")
    assert capped.value.code == "key_cap_reached" and capped.value.request_id == "req_1"
    assert "Spend cap reached" in explain(capped.value, "http://s")
    assert "http://s/billing" in explain(ApiError(402, "low"), "http://s")


def test_overloaded_is_retried_then_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_module.time, "sleep", lambda _s: None)
    busy = httpx.Response(529, json={"error": {"message": "busy"}}, headers={"retry-after": "1"})
    answers = [busy, httpx.Response(200, content=b'event: ping\ndata: {"type":"ping"}\n\n')]
    retries: list[str] = []
    client = Api("http://s", "k", transport=httpx.MockTransport(lambda _r: answers.pop(0)),
                 on_retry=lambda why, wait: retries.append(f"{why} {wait}"))  # fmt: skip
    stream = client.stream_message(b"{}")
    assert list(stream.events()) == [("ping", {"type": "ping"})]
    assert retries == ["529 busy 1.0"]


def test_credentials_are_private_and_per_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAICAINI_API_KEY", raising=False)
    monkeypatch.delenv("CAICAINI_BASE_URL", raising=False)
    store = CredentialStore(tmp_path / "cfg")
    store.save(Credentials("http://a", "sk-a", "key_a", "Caicaini Code on box"))
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert oct(store.path.parent.stat().st_mode & 0o777) == "0o700"
    assert store.resolve().api_key == "sk-a"  # the server signed in to last
    assert store.resolve("http://b/").api_key is None  # a's key never goes to b
    monkeypatch.setenv("CAICAINI_BASE_URL", "http://b")
    assert store.resolve().base_url == "http://b"
    monkeypatch.setenv("CAICAINI_API_KEY", "sk-env")
    assert store.resolve().api_key == "sk-env" and store.resolve().from_env
    assert store.forget("http://a") and not store.forget("http://a")


def test_markdown_stream_prints_the_whole_reply_once() -> None:
    out = io.StringIO()
    console = Console(file=out, width=60, force_terminal=False)
    stream = MarkdownStream(console)
    text = "# Title\n\n" + "".join(f"- item {n}\n" for n in range(12)) + "\n```python\nx = 1\n```\n"
    for piece in text:
        stream.update(piece)
    stream.finish()
    printed = out.getvalue()
    assert printed.count("item 11") == 1 and printed.count("Title") == 1 and "x = 1" in printed

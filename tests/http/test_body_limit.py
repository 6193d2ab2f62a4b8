"""The body-size cap holds on every route, for chunked bodies too (they declare no length):
the bytes are counted as they arrive and the read that passes the limit is answered with
413 in the route's own format, the rest of the body never read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from caicaini.config import Settings
from tests.conftest import make_settings

LIMIT = 256 * 1024
CHUNK = 64 * 1024
CHUNKS = 64  # 4 MiB offered, 16 times the limit


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url  # the cap is the HTTP layer's: one backend is enough


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, max_body_bytes=LIMIT)


class ChunkedBody:
    """A body of ``CHUNKS`` chunks sent without a length; counts what the server pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(CHUNKS):
            self.pulled += 1
            yield b"x" * CHUNK


ROUTES = [  # path, extra headers, what the 413 looks like
    ("/api/v1/auth/login", {"content-type": "application/json"}, "json"),
    ("/webhooks/nowpayments", {"content-type": "application/json"}, "json"),
    ("/login", {"content-type": "application/x-www-form-urlencoded"}, "html"),
    ("/v1/messages", {"anthropic-version": "2023-06-01"}, "anthropic"),
    ("/v1/chat/completions", {"content-type": "application/json"}, "openai"),
    ("/v1/responses", {"content-type": "application/json"}, "openai"),
]


def assert_too_large(r: httpx.Response, shape: str) -> None:
    assert r.status_code == 413, r.text
    if shape == "json":
        assert r.json()["error"]["code"] == "request_too_large"
    elif shape == "anthropic":
        assert r.json()["error"]["type"] == "request_too_large"
    elif shape == "openai":
        assert r.json()["error"]["code"] == "request_too_large"
    else:
        assert r.headers["content-type"].startswith("text/html")
        assert "too large" in r.text


@pytest.mark.parametrize(("path", "headers", "shape"), ROUTES)
async def test_a_chunked_body_past_the_limit_gets_413_without_being_read_whole(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], shape: str
) -> None:
    body = ChunkedBody()
    r = await client.post(path, content=body, headers=headers)
    assert_too_large(r, shape)
    assert "content-length" not in r.request.headers  # really chunked
    assert body.pulled <= LIMIT // CHUNK + 1  # read up to the limit, not a chunk further


@pytest.mark.parametrize(("path", "headers", "shape"), ROUTES)
async def test_a_declared_length_past_the_limit_is_refused_before_the_route_runs(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], shape: str
) -> None:
    r = await client.post(path, content=b"x" * (LIMIT + 1), headers=headers)
    assert_too_large(r, shape)


async def test_bodies_within_the_limit_are_served_as_before(client: httpx.AsyncClient) -> None:
    async def small() -> AsyncIterator[bytes]:
        yield b'{"email": "nobody@example.com", '
        yield b'"password": "not-the-password"}'

    headers = {"content-type": "application/json"}
    r = await client.post("/api/v1/auth/login", content=small(), headers=headers)
    assert r.status_code == 401, r.text

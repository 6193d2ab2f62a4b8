"""No key and no secret in any log line or error body: the gateway runs as ``caicaini serve``
in its own process, its whole output captured and searched for the key."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import FakeUpstreamServer
from tests.conftest import TEST_SECRET
from tests.gateway.support import CLAUDE, customer, issue_key, message_body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_no_key_or_secret_in_logs_or_error_bodies(
    gctx: AppContext, fake_upstream: FakeUpstreamServer, tmp_path: Path
) -> None:
    if not gctx.db.is_sqlite:
        pytest.skip("one backend is enough for a log search")
    account = await customer(gctx)
    key = await issue_key(gctx, account)
    port = free_port()
    env = {
        **os.environ,
        "CAICAINI_ENV": "test",
        "CAICAINI_DATABASE_URL": gctx.settings.resolved_database_url,
        "CAICAINI_DATA_DIR": str(tmp_path),
        "CAICAINI_SECRET_KEY": TEST_SECRET,
        "CAICAINI_ANTHROPIC_BASE_URL": fake_upstream.anthropic_base_url,
        "CAICAINI_MOONSHOT_BASE_URL": fake_upstream.openai_base_url,
        "CAICAINI_LOG_LEVEL": "DEBUG",
        "CAICAINI_RUN_JOBS_IN_PROCESS": "false",
    }
    log = tmp_path / "server.log"
    caicaini = str(Path(sys.executable).parent / "caicaini")
    with open(log, "wb") as out:  # noqa: ASYNC230
        server = subprocess.Popen(  # noqa: ASYNC220
            [caicaini, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for _ in range(300):
                try:
                    if (await http.head("/api/hello")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            bodies = []
            headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
            bearer = {"authorization": f"Bearer {key}"}
            for path, kw in [
                ("/v1/messages", {"json": message_body(CLAUDE), "headers": headers}),
                ("/v1/messages", {"json": message_body(CLAUDE, stream=True), "headers": bearer}),
                ("/v1/messages", {"json": message_body("claude-opus-4-5"), "headers": headers}),
                ("/v1/messages", {"content": b"{not json", "headers": headers}),
                ("/v1/messages", {"json": message_body(), "headers": {"x-api-key": key + "x"}}),
                (
                    "/v1/chat/completions",
                    {"json": {"model": "nope", "messages": []}, "headers": bearer},
                ),
                ("/v1/keys/report-leak", {"json": {"key": key}}),
                ("/v1/messages", {"json": message_body(CLAUDE), "headers": headers}),
            ]:
                r = await http.post(path, **kw)  # type: ignore[arg-type]
                bodies.append(r.text)
    finally:
        server.terminate()
        server.wait(timeout=15)
    text = log.read_text()
    assert "http.request" in text  # the access log was captured
    assert text.count("/v1/messages") >= 6
    for secret in (key, key[7:], TEST_SECRET):
        assert secret not in text
        assert not any(secret in body for body in bodies)
    assert '"status": 401' in text  # the revoked key was refused after the leak report

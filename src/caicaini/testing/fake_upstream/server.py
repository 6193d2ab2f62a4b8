"""``FakeUpstreamServer``: the fake upstream under uvicorn on 127.0.0.1 in a background thread.

    with FakeUpstreamServer() as fake:
        fake.script.fail(529)
        httpx.post(fake.anthropic_base_url + "/v1/messages", ...)

Real HTTP, a free port chosen by the OS, started before ``__enter__`` returns and stopped
(hung requests released) by ``__exit__``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn

from caicaini.testing.fake_upstream.app import create_fake_upstream_app
from caicaini.testing.fake_upstream.script import FakeScript


class FakeUpstreamServer:
    def __init__(self, script: FakeScript | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.script = script or FakeScript()
        self.stopping = threading.Event()
        self.app = create_fake_upstream_app(self.script, stopping=self.stopping)
        self.host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def anthropic_base_url(self) -> str:
        """Written the way Anthropic documents it: without ``/v1``."""
        return self.url

    @property
    def openai_base_url(self) -> str:
        """Written the way OpenAI and Moonshot document it: with ``/v1``."""
        return self.url + "/v1"

    def start(self) -> FakeUpstreamServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
            backlog=4096,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(sock)), name="fake-upstream", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake upstream failed to start")
            time.sleep(0.005)
        return self

    async def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        await self._server.serve(sockets=[sock])

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> FakeUpstreamServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

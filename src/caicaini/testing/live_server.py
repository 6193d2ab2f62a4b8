"""Run any ASGI app under uvicorn on 127.0.0.1 (free port) in a background thread.

    with LiveServer(app) as server:
        httpx.get(server.url + "/healthz")

The app gets its own event loop in the thread; ``__exit__`` stops it, runs ``cleanup`` (e.g.
dispose a database engine created for that loop) and waits.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import uvicorn


class LiveServer:
    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        lifespan: str = "off",
        cleanup: Callable[[], Awaitable[None]] | None = None,
        **uvicorn_options: Any,
    ):
        """``uvicorn_options`` go to ``uvicorn.Config`` (keep-alive, backlog, shutdown...)."""
        self.app = app
        self.uvicorn_options = {"timeout_graceful_shutdown": 2, **uvicorn_options}
        self.cleanup = cleanup
        self.host = host
        self.port = port
        self.lifespan = lifespan
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan=self.lifespan,  # type: ignore[arg-type]
            **self.uvicorn_options,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(server, sock)),
            name="live-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("live server failed to start")
            time.sleep(0.005)
        return self

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            if self.cleanup is not None:
                await self.cleanup()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

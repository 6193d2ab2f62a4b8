"""``FakeUpstreamServer``: the fake upstream under uvicorn on 127.0.0.1 in a background thread.

    with FakeUpstreamServer() as fake:
        fake.script.fail(529)
        httpx.post(fake.anthropic_base_url + "/v1/messages", ...)

Real HTTP, a free port chosen by the OS, started before ``__enter__`` returns and stopped
(hung requests released) by ``__exit__``.
"""

from __future__ import annotations

import threading

from caicaini.testing.fake_upstream.app import create_fake_upstream_app
from caicaini.testing.fake_upstream.script import FakeScript
from caicaini.testing.live_server import LiveServer


class FakeUpstreamServer(LiveServer):
    def __init__(self, script: FakeScript | None = None, *, host: str = "127.0.0.1", port: int = 0):
        self.script = script or FakeScript()
        self.stopping = threading.Event()
        super().__init__(
            create_fake_upstream_app(self.script, stopping=self.stopping),
            host=host,
            port=port,
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
            backlog=4096,
        )

    @property
    def anthropic_base_url(self) -> str:
        """Written the way Anthropic documents it: without ``/v1``."""
        return self.url

    @property
    def openai_base_url(self) -> str:
        """Written the way OpenAI and Moonshot document it: with ``/v1``."""
        return self.url + "/v1"

    def start(self) -> FakeUpstreamServer:
        super().start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases requests scripted to hang
        super().stop()

    def __enter__(self) -> FakeUpstreamServer:
        return self.start()

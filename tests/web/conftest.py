"""Page tests that need real metered messages use the gateway's fixtures: the fake upstream
(a real HTTP server), a context routed to it with the default catalogue (``gctx``), an
in-process client of that app (``gclient``), and the app under uvicorn (``live``, with
``lctx`` on its database and real time)."""

from tests.gateway.conftest import (
    fake,
    fake_upstream,
    gapp,
    gclient,
    gctx,
    lctx,
    live,
    live_postgres,
    live_sqlite,
)
from tests.mail.conftest import smtp_port
from tests.web.live_app import app

__all__ = [
    "app", "fake", "fake_upstream", "gapp", "gclient", "gctx", "lctx", "live", "live_postgres",
    "live_sqlite", "smtp_port",
]  # fmt: skip

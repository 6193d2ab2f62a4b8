"""Chat fixtures: the gateway's fake upstream, contexts and live servers (the chat runs
through the same engine as ``/v1/messages``)."""

from __future__ import annotations

from tests.gateway.conftest import (  # noqa: F401  (fixtures)
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

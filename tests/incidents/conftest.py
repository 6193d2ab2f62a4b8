"""Incidents are reconciled from real gateway traffic: the gateway's fixtures (a fake upstream
serving both providers, a context with the default catalogue, a streaming client, the gateway
under uvicorn for the browser) are offered here too."""

from tests.gateway.conftest import (  # noqa: F401
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

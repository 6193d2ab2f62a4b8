"""Incidents are reconciled from real gateway traffic: the gateway's fixtures (a fake upstream
serving both providers, a context with the default catalogue, a streaming client)."""

from tests.gateway.conftest import fake, fake_upstream, gapp, gclient, gctx  # noqa: F401

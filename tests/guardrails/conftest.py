"""The gateway's fixtures (a fake upstream, a context with the catalogue, a streaming client)
serve the guardrail tests too: caps and alerts are enforced where credits are spent."""

from tests.gateway.conftest import fake, fake_upstream, gapp, gclient, gctx

__all__ = ["fake", "fake_upstream", "gapp", "gclient", "gctx"]

"""Page tests that need real metered messages use the gateway's fixtures: the fake upstream
(a real HTTP server), a context routed to it with the default catalogue (``gctx``) and an
in-process client of that app (``gclient``)."""

from tests.gateway.conftest import fake, fake_upstream, gapp, gclient, gctx

__all__ = ["fake", "fake_upstream", "gapp", "gclient", "gctx"]

"""The operator commands' tests drive the real gateway: its fixtures (a fake upstream, a
context with the default catalogue, a streaming client) are offered here too."""

from tests.gateway.conftest import fake, fake_upstream, gapp, gclient, gctx  # noqa: F401

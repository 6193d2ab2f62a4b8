from __future__ import annotations

from collections.abc import Iterator

import pytest

from caicaini.testing.fake_upstream import Behaviour, FakeUpstreamServer


@pytest.fixture
def upstream(fake_upstream: FakeUpstreamServer) -> Iterator[FakeUpstreamServer]:
    """The session's fake upstream server with a clean script."""
    script = fake_upstream.script
    script.clear()
    script.default, script.api_key = Behaviour(), None
    yield fake_upstream
    script.clear()
    script.default, script.api_key = Behaviour(), None

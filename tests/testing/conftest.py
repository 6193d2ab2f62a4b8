from __future__ import annotations

from collections.abc import Iterator

import pytest

from caicaini.testing.fake_upstream import Behaviour, FakeUpstreamServer


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeUpstreamServer]:
    with FakeUpstreamServer() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeUpstreamServer) -> Iterator[FakeUpstreamServer]:
    fake_server.script.clear()
    fake_server.script.default = Behaviour()
    fake_server.script.api_key = None
    yield fake_server
    fake_server.script.clear()

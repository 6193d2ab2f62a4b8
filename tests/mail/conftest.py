"""Mail fixtures: a free port for a real SMTP server, set as the context's SMTP URL."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from caicaini.context import AppContext


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_port(ctx: AppContext) -> Iterator[int]:
    port = free_port()
    ctx.settings.smtp_url = f"smtp://127.0.0.1:{port}"
    yield port

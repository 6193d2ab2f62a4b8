"""The body cap measured on a real server: ``caicaini serve`` in its own process, a 50 MiB
chunked body (no declared length) sent to routes that need no login, the server's resident
memory sampled all along. Before the cap counted arriving bytes, a login read such a body
whole (a 300 MiB one took the server from 134 MB to 1,029 MB)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from caicaini.testing.server_process import ServerProcess
from tests.conftest import TEST_SECRET

MiB = 1024 * 1024
BODY = 50 * MiB
ALLOWED_GROWTH = 32 * MiB


@pytest.fixture(scope="module")
def server(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("serve")
    env = {
        "CAICAINI_ENV": "test",
        "CAICAINI_DATABASE_URL": sqlite_url,
        "CAICAINI_DATA_DIR": str(data_dir),
        "CAICAINI_SECRET_KEY": TEST_SECRET,
        "CAICAINI_RUN_JOBS_IN_PROCESS": "false",
        "CAICAINI_LOG_LEVEL": "WARNING",
    }
    with ServerProcess(env, data_dir / "server.log") as process:
        yield process


class PeakMemory:
    """Samples the server's resident memory every 10 ms until stopped; keeps the peak."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.baseline = server.rss_bytes()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_bytes())
            time.sleep(0.01)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def post_chunked(port: int, path: str, total: int, headers: dict[str, str]) -> int:
    """POST ``total`` bytes in 1 MiB chunks, reading the answer while sending (the server
    may answer long before the body ends); the answer's status."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer = bytearray()
    answered = threading.Event()

    def read() -> None:
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer.extend(data)
        except OSError:
            pass
        answered.set()

    reader = threading.Thread(target=read, daemon=True)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    chunk = b"%x\r\n" % MiB + b"{" * MiB + b"\r\n"
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        reader.start()
        for _ in range(total // MiB):
            if answered.is_set():
                break
            sock.sendall(chunk)
        else:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server stopped reading: its answer is what counts
    answered.wait(timeout=60)
    sock.close()
    assert answer, "no answer from the server"
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/auth/login", {"Content-Type": "application/json"}),
        ("/webhooks/nowpayments", {"Content-Type": "application/json"}),
        ("/v1/messages", {"anthropic-version": "2023-06-01"}),
    ],
)
def test_a_50_mib_chunked_body_gets_413_and_the_server_grows_less_than_32_mib(
    server: ServerProcess, path: str, headers: dict[str, str]
) -> None:
    post_chunked(server.port, path, MiB // 2, headers)  # warm the route up
    with PeakMemory(server) as memory:
        status = post_chunked(server.port, path, BODY, headers)
    growth = memory.peak - memory.baseline
    print(f"{path}: {status}, the server grew by {growth / MiB:.1f} MiB")
    assert growth < ALLOWED_GROWTH, f"the server grew by {growth / MiB:.1f} MiB"
    assert status == 413

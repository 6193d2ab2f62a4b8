"""``caicaini serve`` as a real subprocess on a free port, for tests and benchmarks that need
the production shape (uvicorn's own workers, one process per worker, real sockets).

    with ServerProcess(env, workers=2) as server:
        httpx.get(server.url + "/healthz")
        server.rss_bytes()  # resident memory of the server and its workers

The environment is the caller's ``CAICAINI_*`` settings (the server reads nothing else of
ours); output goes to ``log_path``, read back with ``log_text`` when something failed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        workers: int = 1,
        port: int | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.workers = workers
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        caicaini = str(Path(sys.executable).parent / "caicaini")
        command = [caicaini, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        """Every worker answers: with several, a few probes on fresh connections each."""
        deadline = time.monotonic() + self.start_timeout
        answered = 0
        while answered < 3 * self.workers:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"caicaini serve exited early:\n{self.log_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"caicaini serve did not start:\n{self.log_text()}")
            try:
                answered += httpx.head(self.url + "/api/hello", timeout=5).status_code == 200
            except httpx.TransportError:
                time.sleep(0.1)

    def pids(self) -> list[int]:
        """The server's process and its workers' (uvicorn's children)."""
        assert self.process is not None
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return pids

    def rss_bytes(self) -> int:
        """Resident memory of the server and its workers, from ``/proc``."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:  # a worker that just exited
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""Caicaini Code against the real server: the gateway under uvicorn with the fake upstream
scripted (``fake``), the client run as its own process (``CodeRunner``) with a home and a
project folder of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caicaini.testing.live_server import LiveServer
from tests.gateway.conftest import (  # noqa: F401  (the gateway's live-server fixtures)
    fake,
    fake_upstream,
    lctx,
    live,
    live_postgres,
    live_sqlite,
)

CLIENT = [sys.executable, "-m", "caicaini_code"]


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class CodeRunner:
    base_url: str
    home: Path
    project: Path
    key: str | None = None

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAICAINI_")}
        env.update(CAICAINI_CODE_HOME=str(self.home), CAICAINI_BASE_URL=self.base_url)
        if self.key:
            env["CAICAINI_API_KEY"] = self.key
        env.update(extra)
        return env

    def __call__(self, *args: str, stdin: str = "", timeout: float = 60, **env: str) -> Ran:
        done = subprocess.run(
            [*CLIENT, *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.project,
            env=self.env(**env),
            timeout=timeout,
        )
        return Ran(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "hello.py").write_text('def greet():\n    return "hello"\n')
    return folder


@pytest.fixture
def code(live: LiveServer, tmp_path: Path, project: Path) -> CodeRunner:  # noqa: F811
    return CodeRunner(live.url, tmp_path / "home", project)

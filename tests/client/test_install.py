"""``pip install ./client`` in a fresh virtualenv brings only the client's dependencies (no
server package), and the installed commands work against the server."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from caicaini.context import AppContext
from tests.client.conftest import CodeRunner
from tests.gateway.support import customer, issue_key

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"
CLIENT_DISTRIBUTIONS = {
    "caicaini-code", "httpx", "httpcore", "h11", "anyio", "idna", "certifi", "sniffio",
    "typing-extensions", "rich", "markdown-it-py", "mdurl", "pygments", "prompt-toolkit",
    "wcwidth", "click", "pip", "setuptools",
}  # fmt: skip


def run(*argv: str | Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def install_and_use(tmp: Path, env: dict[str, str], cwd: Path) -> None:
    """A fresh virtualenv, ``pip install`` of a copy of ``client/``, then its commands."""
    source = tmp / "client"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", venv, check=True)
    pip = venv / "bin" / "pip"
    run(pip, "install", "--quiet", "--disable-pip-version-check", source, check=True, timeout=600)
    listed = run(pip, "list", "--format", "json", "--disable-pip-version-check", check=True)
    names = {d["name"].lower().replace("_", "-") for d in json.loads(listed.stdout)}
    assert "caicaini-code" in names
    assert names <= CLIENT_DISTRIBUTIONS, names - CLIENT_DISTRIBUTIONS

    assert "statusline" in run(venv / "bin" / "caicaini-code", "--help", check=True).stdout
    version = run(venv / "bin" / "cai", "--version", check=True).stdout
    assert version.strip() == "caicaini-code, version 0.1.0"
    balance = run(venv / "bin" / "caicaini-code", "balance", "--json", env=env, cwd=cwd)
    assert balance.returncode == 0, balance.stderr
    assert json.loads(balance.stdout)["balance"] == 1000


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the client is what is tested
async def test_pip_install_brings_only_client_dependencies(
    lctx: AppContext, code: CodeRunner, tmp_path: Path
) -> None:
    code.key = await issue_key(lctx, await customer(lctx))
    await asyncio.to_thread(install_and_use, tmp_path, code.env(), code.project)

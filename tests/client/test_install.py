"""``pip install ./client`` in a fresh virtualenv brings only the client's dependencies (no
server package), and the installed commands work against the server."""

from __future__ import annotations

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


def install(tmp: Path) -> Path:
    source = tmp / "client"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", str(source)],
        check=True,
        timeout=600,
    )
    return venv


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the client is what is tested
async def test_pip_install_brings_only_client_dependencies(
    lctx: AppContext, code: CodeRunner, tmp_path: Path
) -> None:
    import asyncio

    venv = await asyncio.to_thread(install, tmp_path)
    listed = subprocess.run(
        [str(venv / "bin" / "pip"), "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    names = {d["name"].lower().replace("_", "-") for d in json.loads(listed.stdout)}
    assert "caicaini-code" in names
    assert names <= CLIENT_DISTRIBUTIONS, names - CLIENT_DISTRIBUTIONS

    helped = subprocess.run([str(venv / "bin" / "caicaini-code"), "--help"],
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert "statusline" in helped.stdout
    version = subprocess.run([str(venv / "bin" / "cai"), "--version"],
                             capture_output=True, text=True, check=True)  # fmt: skip
    assert version.stdout.strip() == "caicaini-code, version 0.1.0"

    code.key = await issue_key(lctx, await customer(lctx))
    balance = subprocess.run(
        [str(venv / "bin" / "caicaini-code"), "balance", "--json"],
        capture_output=True, text=True, env=code.env(), cwd=code.project,
    )  # fmt: skip
    assert balance.returncode == 0, balance.stderr
    assert json.loads(balance.stdout)["balance"] == 1000

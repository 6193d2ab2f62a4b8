"""Claude Code itself (a pinned npm release, installed into a cache folder on first use)
against the running gateway, streaming as it always does, for a Claude and a Kimi model: it
parses every stream (including our ``caicaini_charge`` event) and each message is charged
once, settled in full."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from caicaini.context import AppContext
from caicaini.testing.live_server import LiveServer
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    assert_books_balance,
    balance,
    customer,
    issue_key,
    usage_of,
)

CLAUDE_CODE = "2.1.328"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "caicaini-tests"


def claude_binary() -> Path:
    """The pinned Claude Code, installed with npm once per machine (a shared cache)."""
    prefix = CACHE / f"claude-code-{CLAUDE_CODE}"
    binary = prefix / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed: Claude Code cannot be installed")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
             f"@anthropic-ai/claude-code@{CLAUDE_CODE}"],
            check=True, capture_output=True, timeout=900,
        )  # fmt: skip
    return binary


def run_claude(binary: Path, base_url: str, key: str, model: str, home: Path) -> dict[str, object]:
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_AUTH_TOKEN": key,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    done = subprocess.run(
        [str(binary), "-p", "Say hello", "--output-format", "json", "--model", model],
        capture_output=True, text=True, env=env, cwd=home, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_claude_code_streams_through_the_gateway(
    live: LiveServer, lctx: AppContext, tmp_path: Path, model: str
) -> None:
    binary = await asyncio.to_thread(claude_binary)
    account = await customer(lctx, credits=5000)
    key = await issue_key(lctx, account)
    result = await asyncio.to_thread(run_claude, binary, live.url, key, model, tmp_path / "home")
    assert result["is_error"] is False and result["subtype"] == "success"
    assert str(result["result"]).startswith("Echo:")
    records = await usage_of(lctx, account)
    assert records and all(r.stream and r.outcome == "ok" for r in records)
    assert {r.model for r in records} >= {model}
    assert 5000 - await balance(lctx, account) == sum(r.credits_charged for r in records)
    await assert_books_balance(lctx)

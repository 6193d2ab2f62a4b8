"""OpenAI's Codex CLI (a pinned npm release, its Linux binary inside the npm package) against
the running gateway through the Responses API, configured as the README and the key page
say: a ``model_providers`` entry with ``wire_api = "responses"``, the gateway's ``/v1`` base
URL and the key in an environment variable. ``codex exec --json`` completes a turn with a
function-call round trip (the fake upstream asks for a shell command, Codex runs it and sends
its output back) for a Claude and a Kimi model, and every call is charged once.

The release is installed by the test with npm into pytest's temp root (reused by later runs);
without npm the test is skipped."""

from __future__ import annotations

import asyncio
import html
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from caicaini.context import AppContext
from caicaini.testing.live_server import LiveServer
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    RATES,
    assert_books_balance,
    balance,
    cached_tool,
    customer,
    issue_key,
    usage_of,
)
from tests.web.helpers import catalogue, login, make_account

CODEX_VERSION = "0.171.0"
CODEX = f"@openai/codex@{CODEX_VERSION}"
KEY_VARIABLE = "CAICAINI_API_KEY"


README = Path(__file__).parents[2] / "README.md"
README_URL = "http://127.0.0.1:8000"  # what ``make run`` serves, in the README's example


def documented_config() -> str:
    """The configuration the README documents for Codex (``~/.codex/config.toml``)."""
    section = README.read_text().split("### Codex CLI", 1)[1]
    return section.split("```toml\n", 1)[1].split("```", 1)[0]


def codex_config(base_url: str, model: str) -> str:
    """The documented configuration for this server and model, plus what keeps a test run
    off the network (no update check, no analytics)."""
    config = documented_config().replace(README_URL, base_url)
    config = config.replace('model = "claude-sonnet-4-5"', f'model = "{model}"', 1)
    return f"check_for_update_on_startup = false\n{config}\n[analytics]\nenabled = false\n"


@pytest.fixture(scope="session")
def codex(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not available: Codex CLI cannot be installed")

    def install(root: Path) -> subprocess.CompletedProcess[str]:
        root.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(root), "--no-audit", "--no-fund",
             "--no-package-lock", CODEX],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            return done
        return subprocess.run(
            [str(root / "node_modules" / ".bin" / "codex"), "--version"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    return cached_tool(tmp_path_factory, f"npm-codex-{CODEX_VERSION}", install) / (
        "node_modules/.bin/codex"
    )


def run_codex(codex: Path, home: Path, key: str, prompt: str) -> list[dict[str, Any]]:
    work = home / "work"
    work.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "CODEX_HOME": str(home),
           KEY_VARIABLE: key}  # fmt: skip
    done = subprocess.run(
        [str(codex), "exec", "--json", "--skip-git-repo-check", "--strict-config",
         "--cd", str(work), prompt],
        env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_codex_exec_completes_a_turn_with_a_tool_call(
    live: LiveServer, lctx: AppContext, codex: Path, tmp_path: Path, model: str
) -> None:
    account = await customer(lctx)
    key = await issue_key(lctx, account)
    (tmp_path / "config.toml").write_text(codex_config(live.url, model))
    events = await asyncio.to_thread(
        run_codex, codex, tmp_path, key, "please use tool to look around"
    )
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "turn.completed" and "turn.failed" not in kinds, events
    items = [e["item"] for e in events if e["type"] == "item.completed"]
    [command] = [i for i in items if i["type"] == "command_execution"]
    assert command["command"].endswith("fake")  # what the fake upstream asked Codex to run
    answer = [i["text"] for i in items if i["type"] == "agent_message"][-1]
    assert answer.startswith("Got the tool result")  # the command's output came back

    records = await usage_of(lctx, account)
    assert len(records) == 2  # the tool call, then the answer to its result
    assert all(r.endpoint == "responses" and r.stream and r.outcome == "ok" for r in records)
    assert all(r.credits_charged == RATES[model] * r.units for r in records)
    usage = events[-1]["usage"]
    assert usage["output_tokens"] == sum(r.output_tokens for r in records)
    assert await balance(lctx, account) == 1000 - sum(r.credits_charged for r in records)
    await assert_books_balance(lctx)


async def test_the_key_page_shows_the_readmes_codex_configuration(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await catalogue(ctx)
    await make_account(ctx, plan="plus")
    await login(client)
    page = await client.get("/keys")
    section = page.text.split('id="codex"', 1)[1]
    shown = html.unescape(section.split('<pre class="code">', 1)[1].split("</pre>", 1)[0])
    base_url = ctx.settings.public_url.rstrip("/")
    assert shown == documented_config().replace(README_URL, base_url).rstrip("\n")
    assert f'base_url = "{base_url}/v1"' in shown and 'wire_api = "responses"' in shown

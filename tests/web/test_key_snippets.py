"""The key page's snippets work as pasted: right after creating a key, the page's own text
(curl, the Python ``anthropic`` and ``openai`` SDKs, Claude Code) is run as it is against the
gateway under uvicorn, and each message is metered to this account. Claude Code's snippet
names models of the plan, since its default model is not in the catalogue."""

from __future__ import annotations

import asyncio
import html
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.client.test_claude_code import claude_binary
from tests.gateway.support import usage_of
from tests.web.helpers import login, make_account
from tests.web.live_app import App

pytestmark = [pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def snippet(page: str, name: str) -> str:
    block = page.split(f'<pre class="code" id="snippet-{name}">', 1)[1].split("</pre>", 1)[0]
    return html.unescape(block)


async def new_key_page(app: App, plan: str = "plus") -> tuple[str, str]:
    """(the page shown after creating a key, the account id)."""
    email = f"snip-{uuid.uuid4().hex[:8]}@example.com"
    account = await make_account(app.ctx, email, plan=plan)
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        token = await login(client, email)
        created = await client.post("/keys", data={"csrf_token": token, "name": "snippets"})
    assert created.status_code == 200
    return created.text, account.id


def shell(script: str, home: Path, extra_path: str = "") -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{extra_path}:{os.environ['PATH']}" if extra_path else os.environ["PATH"],
        "HOME": str(home),
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    return subprocess.run(
        ["bash", "-euc", script], capture_output=True, text=True, env=env, cwd=home,
        timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


async def test_curl_and_both_python_sdks_work_as_pasted(app: App, tmp_path: Path) -> None:
    page, account_id = await new_key_page(app)
    key_line = snippet(page, "key")
    assert key_line.startswith("export CAICAINI_API_KEY=sk-cai-")

    curl = await asyncio.to_thread(shell, key_line + "\n" + snippet(page, "curl"), tmp_path)
    assert curl.returncode == 0, curl.stderr
    reply = json.loads(curl.stdout)
    assert reply["type"] == "message" and reply["content"][0]["text"].startswith("Echo:")

    for name in ("python-anthropic", "python-openai"):
        program = tmp_path / f"{name}.py"
        program.write_text(snippet(page, name))
        run = await asyncio.to_thread(shell, f"{key_line}\n{sys.executable} {program}", tmp_path)
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("Echo:"), name

    models = sorted(r.model for r in await usage_of(app.ctx, account_id))
    assert models == ["claude-haiku-4-5", "claude-sonnet-4-5", "kimi-k2.7-code"]


@pytest.mark.timeout(900)  # npm install of the pinned Claude Code on first use
async def test_the_claude_code_snippet_works_as_pasted_with_plan_models(
    app: App, tmp_path: Path
) -> None:
    page, account_id = await new_key_page(app)
    code = snippet(page, "claude-code")
    assert "export ANTHROPIC_MODEL=claude-sonnet-4-5" in code
    assert "export ANTHROPIC_SMALL_FAST_MODEL=claude-haiku-4-5" in code
    binary = await asyncio.to_thread(claude_binary)
    # Pasted as shown, with a one-shot prompt instead of the interactive session.
    script = (
        snippet(page, "key")
        + "\n"
        + code.replace("\nclaude", "\nclaude -p 'Say hello' --output-format json")
    )
    run = await asyncio.to_thread(shell, script, tmp_path / "home", str(binary.parent))
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout)
    assert result["is_error"] is False and str(result["result"]).startswith("Echo:")
    used = {r.model for r in await usage_of(app.ctx, account_id)}
    assert "claude-sonnet-4-5" in used and used <= {"claude-sonnet-4-5", "claude-haiku-4-5"}


async def test_snippets_name_models_of_the_pro_plan_too(
    app: App,
) -> None:
    page, _ = await new_key_page(app, plan="pro")
    code = snippet(page, "claude-code")
    assert "ANTHROPIC_MODEL=claude-opus-4-5" in code
    assert "ANTHROPIC_SMALL_FAST_MODEL=claude-haiku-4-5" in code

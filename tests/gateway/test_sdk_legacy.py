"""The anthropic SDK 1.x (a release before 2.0, in a virtualenv of its own) against the
running gateway: text and a streamed tool call for a Claude and a Kimi model."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from caicaini.context import AppContext
from caicaini.testing.live_server import LiveServer
from tests.gateway.support import (
    CLAUDE,
    KIMI,
    RATES,
    balance,
    cached_tool,
    customer,
    issue_key,
    usage_of,
)

LEGACY = "anthropic==1.17.0"

SCRIPT = r"""
import json, os, anthropic
assert anthropic.__version__.startswith("1."), anthropic.__version__
client = anthropic.Anthropic(api_key=os.environ["KEY"], base_url=os.environ["BASE"], max_retries=0)
model = os.environ["MODEL"]
out = {"version": anthropic.__version__, "usages": []}
msg = client.messages.create(model=model, max_tokens=256,
                             messages=[{"role": "user", "content": "hello"}])
out["text"] = msg.content[0].text
out["usages"].append([msg.usage.input_tokens, msg.usage.output_tokens])
tool = {"name": "get_weather", "description": "weather",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
with client.messages.stream(model=model, max_tokens=256, tools=[tool],
        messages=[{"role": "user", "content": "please use tool for Paris"}]) as stream:
    final = stream.get_final_message()
out["stop_reason"] = final.stop_reason
out["tool"] = [b.name for b in final.content if b.type == "tool_use"]
out["usages"].append([final.usage.input_tokens, final.usage.output_tokens])
print(json.dumps(out))
"""


@pytest.fixture(scope="session")
def legacy_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the 1.x SDK, built once and kept for later runs."""

    def install(root: Path) -> subprocess.CompletedProcess[str]:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        return subprocess.run(
            [str(root / "bin" / "python"), "-m", "pip", "install", "-q",
             "--disable-pip-version-check", LEGACY],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    return cached_tool(tmp_path_factory, "venv-anthropic-1.17.0", install) / "bin" / "python"


@pytest.mark.parametrize("model", [CLAUDE, KIMI])
async def test_anthropic_sdk_1x(
    live: LiveServer, lctx: AppContext, legacy_python: Path, model: str
) -> None:
    account = await customer(lctx)
    key = await issue_key(lctx, account)
    env = {"PATH": os.environ.get("PATH", ""), "KEY": key, "BASE": live.url, "MODEL": model}
    done = await asyncio.to_thread(
        subprocess.run,
        [str(legacy_python), "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["version"].startswith("1.") and out["text"]
    assert out["stop_reason"] == "tool_use" and out["tool"] == ["get_weather"]
    records = await usage_of(lctx, account)
    assert [(r.input_tokens, r.output_tokens) for r in records] == [tuple(u) for u in out["usages"]]
    assert all(r.credits_charged == RATES[model] * r.units for r in records)
    assert await balance(lctx, account) == 1000 - sum(r.credits_charged for r in records)

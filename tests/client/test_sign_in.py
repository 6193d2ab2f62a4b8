"""Signing Caicaini Code in and out against the real server: the device code approved in a
logged-in browser session gives the client a key of its own (stored 0600, listed as this
device's), ``logout`` revokes it; ``login --key`` checks a pasted key; ``statusline`` prints
the balance and today's spend in one line."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.models.api_keys import ApiKey
from caicaini.testing.fake_upstream import FakeScript
from tests.client.conftest import CLIENT, CodeRunner
from tests.gateway.support import CLAUDE, customer, issue_key
from tests.web.helpers import PASSWORD, csrf_of, make_account


def start_login(code: CodeRunner) -> tuple[subprocess.Popen[str], str]:
    """``caicaini-code login`` running, and the user code it printed."""
    process = subprocess.Popen(
        [*CLIENT, "login"], cwd=code.project, env=code.env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    shown = "".join(process.stdout.readline() for _ in range(3))
    found = re.search(r"\b([B-Z]{4}-[B-Z]{4})\b", shown)
    assert found, shown
    return process, found.group(1)


def refuse_for_free_plan(base_url: str, email: str, user_code: str) -> None:
    with httpx.Client(base_url=base_url) as browser:
        page = browser.get("/login")
        browser.post("/login", data={"csrf_token": csrf_of(page.text), "email": email,
                                     "password": PASSWORD})  # fmt: skip
        confirm = browser.get(f"/device?code={user_code}")
        refused = browser.post("/device/approve", data={
            "csrf_token": csrf_of(confirm.text), "user_code": user_code})  # fmt: skip
        assert "no API access" in refused.text


def approve_in_browser(base_url: str, email: str, user_code: str) -> None:
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        login = browser.get(f"/device?code={user_code}")
        assert login.status_code == 303
        page = browser.get(login.headers["location"])
        done = browser.post("/login", data={
            "csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD,
            "next": f"/device?code={user_code}",
        })  # fmt: skip
        assert done.headers["location"] == f"/device?code={user_code}"
        confirm = browser.get(done.headers["location"])
        assert "Sign in" in confirm.text and user_code in confirm.text
        approved = browser.post(
            "/device/approve", data={"csrf_token": csrf_of(confirm.text), "user_code": user_code}
        )
        assert "Device signed in" in approved.text


async def test_device_login_then_logout_revokes_the_key(lctx: AppContext, code: CodeRunner) -> None:
    account = await make_account(lctx, email=f"dev-{time.time_ns()}@example.com", plan="plus")
    process, user_code = await asyncio.to_thread(start_login, code)
    await asyncio.to_thread(approve_in_browser, code.base_url, account.email, user_code)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    host = socket.gethostname()
    assert f"Signed in to {code.base_url} with the key “Caicaini Code on {host}”" in out

    credentials = code.home / "credentials.json"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    listed = code("keys", "list")
    assert listed.code == 0 and f"* Caicaini Code on {host}" in listed.stdout
    assert code("balance").code == 0

    logged_out = code("logout")
    assert logged_out.code == 0 and "Revoked the key" in logged_out.stdout
    async with lctx.transaction() as session:
        [key] = (await session.scalars(select(ApiKey).where(ApiKey.account_id == account.id))).all()
    assert key.revoked_at is not None and key.revoked_reason == "signed_out"
    after = code("balance")
    assert after.code == 1 and "Not signed in" in after.stderr


async def test_free_plan_login_is_told_there_is_no_api_access(
    lctx: AppContext, code: CodeRunner
) -> None:
    account = await make_account(lctx, email=f"free-{time.time_ns()}@example.com")
    process, user_code = await asyncio.to_thread(start_login, code)
    await asyncio.to_thread(refuse_for_free_plan, code.base_url, account.email, user_code)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "Your Free plan has no API access" in err and "/billing" in err


async def test_pasted_key_and_statusline(
    lctx: AppContext, fake: FakeScript, code: CodeRunner
) -> None:
    key = await issue_key(lctx, await customer(lctx))
    bad = code("login", "--key", "sk-cai-" + "1" * 46)
    assert bad.code == 1 and not (code.home / "credentials.json").exists()
    good = code("login", "--key", key)
    assert good.code == 0 and "1,000 credits" in good.stdout
    code("-p", "hello", "--model", CLAUDE)
    line = code("statusline", stdin='{"session_id": "x"}')
    assert line.code == 0
    assert line.stdout == "Caicaini 997 credits left · today 3 credits\n"
    env_wins = code("balance", CAICAINI_API_KEY="sk-cai-" + "2" * 46)
    assert env_wins.code == 1


def test_help_is_quick_to_import(tmp_path: Path) -> None:
    """``--help`` imports neither httpx nor rich (they load inside the commands)."""
    probe = (
        "import sys; from caicaini_code import cli; "
        "assert 'httpx' not in sys.modules and 'rich' not in sys.modules, sorted(sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": ""}
    subprocess.run([CLIENT[0], "-c", probe], check=True, env=env, cwd=tmp_path)

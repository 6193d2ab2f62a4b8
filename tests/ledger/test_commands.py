"""The operator command line: ``credits grant|show``, ``plans list`` and ``ledger verify``,
run against a freshly migrated SQLite database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from caicaini.cli import app
from caicaini.context import AppContext
from tests.conftest import make_settings
from tests.ledger.support import make_account


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAICAINI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAICAINI_ENV", "test")
    monkeypatch.delenv("CAICAINI_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _with_ctx(data_dir: Path, work):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        ctx = AppContext.from_settings(make_settings("", data_dir))
        try:
            return await work(ctx)
        finally:
            await ctx.close()

    return asyncio.run(main())


def test_migrate_installs_the_catalogue_and_plans_list_shows_it(env: Path) -> None:
    code, out, _ = _run("plans", "list", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["sheet_version"] == 1
    assert [p["name"] for p in document["plans"]] == ["free", "plus", "pro"]
    assert "topup:large" in document["products"]
    code, out, _ = _run("plans", "list")
    assert code == 0 and "claude-opus-4-5" in out


def test_grant_then_show_then_verify(env: Path) -> None:
    _with_ctx(env, lambda ctx: make_account(ctx, "alice@example.com"))
    code, out, _ = _run(
        "credits",
        "grant",
        "--email",
        "alice@example.com",
        "--amount",
        "750",
        "--reason",
        "welcome gift",
    )
    assert code == 0, out
    code, out, _ = _run("credits", "show", "--email", "alice@example.com", "--json")
    shown = json.loads(out)
    assert shown["balance"] == 750
    assert [(g["kind"], g["remaining"], g["expires_at"]) for g in shown["grants"]] == [
        ("adjustment", 750, None)
    ]
    code, out, _ = _run("ledger", "verify")
    assert code == 0 and "balanced" in out


def test_a_grant_notifies_the_customer(env: Path) -> None:
    from caicaini.models.mail import OutboxEmail

    _with_ctx(env, lambda ctx: make_account(ctx, "alice@example.com"))
    args = ("--email", "alice@example.com", "--amount", "250", "--reason", "goodwill")
    assert _run("credits", "grant", *args)[0] == 0

    async def mails(ctx: AppContext) -> list[tuple[str, str]]:
        async with ctx.read() as session:
            rows = await session.execute(select(OutboxEmail.subject, OutboxEmail.body_text))
            return [(s, b) for s, b in rows]

    [(subject, body)] = _with_ctx(env, mails)
    assert subject == "We added 250 credits to your Caicaini balance"
    assert "Reason: goodwill" in body and "Your balance is now 250 credits." in body


def test_unknown_email_and_missing_reason_fail_clearly(env: Path) -> None:
    code, _, err = _run("credits", "show", "--email", "nobody@example.com")
    assert code == 1 and "no account" in err
    _with_ctx(env, lambda ctx: make_account(ctx, "alice@example.com"))
    code, _, err = _run(
        "credits", "grant", "--email", "alice@example.com", "--amount", "5", "--reason", " "
    )
    assert code == 1 and "reason" in err


def test_verify_names_a_tampered_grant(env: Path) -> None:
    _with_ctx(env, lambda ctx: make_account(ctx, "alice@example.com"))
    _run("credits", "grant", "--email", "alice@example.com", "--amount", "100", "--reason", "x")

    async def tamper(ctx: AppContext) -> None:
        async with ctx.transaction() as session:
            await session.execute(text("UPDATE grants SET remaining = 60, amount = 100"))

    _with_ctx(env, tamper)
    code, _, err = _run("ledger", "verify")
    assert code == 1
    assert "amount + entries = 100 but remaining is 60" in err

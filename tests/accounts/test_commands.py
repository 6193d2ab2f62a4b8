"""``caicaini users create`` and ``caicaini demo seed`` through the real command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caicaini.cli import app
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.models.accounts import Account
from tests.conftest import TEST_SECRET


@pytest.fixture
def env(ctx: AppContext, settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "CAICAINI_DATABASE_URL": settings.resolved_database_url,
        "CAICAINI_DATA_DIR": str(tmp_path),
        "CAICAINI_ENV": "test",
        "CAICAINI_SECRET_KEY": TEST_SECRET,
        "CAICAINI_LOG_LEVEL": "WARNING",
    }


def lookup(settings: Settings, email: str) -> Account | None:
    async def work() -> Account | None:
        context = AppContext.from_settings(settings)
        try:
            async with context.transaction() as session:
                from sqlalchemy import select

                stmt = select(Account).where(Account.email == email)
                return (await session.scalars(stmt)).first()
        finally:
            await context.close()

    return asyncio.run(work())


def test_users_create_makes_a_verified_active_account(
    env: dict[str, str], settings: Settings
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "Op@Example.com",
            "--password",
            "long-enough-1",
            "--operator",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    account_id = result.stdout.strip()
    assert account_id.startswith("acct_")
    account = lookup(settings, "op@example.com")
    assert account is not None and account.id == account_id
    assert account.is_operator and account.email_verified_at is not None
    assert account.status == "active"

    again = runner.invoke(
        app,
        ["users", "create", "--email", "op@example.com", "--password", "long-enough-1"],
        env=env,
    )
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_users_create_with_an_unavailable_plan_fails_cleanly(
    env: dict[str, str], settings: Settings
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "users",
            "create",
            "--email",
            "p@example.com",
            "--password",
            "long-enough-1",
            "--plan",
            "no-such-plan",
        ],
        env=env,
    )
    assert result.exit_code == 1
    assert result.output.startswith("error:")
    assert lookup(settings, "p@example.com") is None  # same transaction: nothing left behind


def test_demo_seed_is_idempotent_and_prints_the_logins(
    env: dict[str, str], settings: Settings
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"], env=env).exit_code == 0  # installs the catalogue
    first = runner.invoke(app, ["demo", "seed"], env=env)
    second = runner.invoke(app, ["demo", "seed"], env=env)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "operator@caicaini.local / operator-demo-pass" in second.output
    assert "customer@caicaini.local / customer-demo-pass" in second.output
    operator = lookup(settings, "operator@caicaini.local")
    assert operator is not None and operator.is_operator
    customer = lookup(settings, "customer@caicaini.local")
    assert customer is not None and not customer.is_operator

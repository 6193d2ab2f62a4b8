"""``caicaini plans schedule``: an operator publishes a new price-sheet version from a file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from caicaini.context import AppContext
from caicaini.notices.terms import TermsService
from caicaini.plans.catalogue import default_catalogue
from tests.ledger.test_commands import _run, _with_ctx, env  # noqa: F401  (fixture)

CATALOGUE = Path(__file__).resolve().parents[2] / "src/caicaini/plans/catalogue.toml"


def test_schedule_refuses_a_reduction_without_notice_and_accepts_it_with_notice(
    env: Path,  # noqa: F811
) -> None:
    cheaper_plus = CATALOGUE.read_text().replace("monthly_credits = 5000", "monthly_credits = 4000")
    sheet = env / "sheet.toml"
    sheet.write_text(cheaper_plus)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    code, _, err = _run("plans", "schedule", str(sheet), "--effective-at", tomorrow)
    assert code == 1
    assert "plus: monthly credits 5000 → 4000" in err and "7 days' notice" in err
    code, out, err = _run("plans", "schedule", str(sheet), "--effective-at", "2099-01-01T00:00Z")
    assert code == 0, err
    assert "version 2 (reducing)" in out
    sheet.write_text(cheaper_plus.replace("monthly_credits = 4000", "monthly_credits = 3000"))
    code, _, err = _run("plans", "schedule", str(sheet), "--effective-at", "2099-01-02T00:00Z")
    assert code == 0, err
    assert default_catalogue().plans["plus"].monthly_credits == 5000


def test_migrate_records_the_shipped_terms_as_version_1(env: Path) -> None:  # noqa: F811
    async def current(ctx: AppContext) -> int | None:
        async with ctx.transaction() as session:
            terms = await TermsService(session, ctx.clock, "").current()
        return terms.version if terms else None

    assert _with_ctx(env, current) == 1

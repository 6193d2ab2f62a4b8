"""Age of majority by country: payments ask ``has_majority`` before a paid subscription."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caicaini.accounts.majority import DEFAULT_AGE_OF_MAJORITY, age_of_majority, age_on
from caicaini.accounts.service import has_majority_at
from caicaini.models.accounts import Account

AT = datetime(2026, 11, 26, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "age"), [("US", 18), ("JP", 18), ("KR", 19), ("TH", 20), ("SG", 21), ("de", 18)]
)
def test_majority_table(country: str, age: int) -> None:
    assert age_of_majority(country) == age


def test_unknown_countries_use_the_default() -> None:
    assert age_of_majority("ZZ") == DEFAULT_AGE_OF_MAJORITY == 18


def test_age_counts_whole_years() -> None:
    assert age_on(date(2008, 11, 27), date(2026, 11, 26)) == 17
    assert age_on(date(2008, 11, 26), date(2026, 11, 26)) == 18


@pytest.mark.parametrize(
    ("born", "country", "adult"),
    [
        (date(2008, 11, 26), "US", True),
        (date(2008, 11, 27), "US", False),
        (date(2008, 11, 26), "KR", False),
        (date(2007, 11, 26), "KR", True),
    ],
)
def test_has_majority(born: date, country: str, adult: bool) -> None:
    account = Account(date_of_birth=born, country=country)
    assert has_majority_at(account, AT) is adult


def test_production_always_hashes_passwords_with_the_standard_profile() -> None:
    from caicaini.config import Settings

    settings = Settings(
        env="production",
        public_url="https://caicaini.example",
        database_url="postgresql://db.internal/caicaini",
        secret_key="x" * 40,
        password_hash_profile="fast",
    )
    assert settings.password_hash_profile == "standard"

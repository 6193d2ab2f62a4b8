"""Settings: the embedded default needs nothing; production refuses placeholders."""

import pytest

from caicaini.config import Settings


def test_the_embedded_default_needs_no_settings() -> None:
    settings = Settings(_env_file=None)
    assert settings.is_sqlite
    assert settings.resolved_database_url.endswith("var/caicaini.db")


def test_operator_urls_get_the_async_driver() -> None:
    settings = Settings(database_url="postgresql://u@db:5432/caicaini")
    assert settings.resolved_database_url == "postgresql+asyncpg://u@db:5432/caicaini"


@pytest.mark.parametrize("secret", ["dev-insecure-secret-change-me", "short"])
def test_production_refuses_placeholder_secrets(secret: str) -> None:
    with pytest.raises(ValueError, match="CAICAINI_SECRET_KEY"):
        Settings(env="production", secret_key=secret, database_url="postgresql://db/x")

"""Which payment provider a process uses: configured NOWPayments, the embedded fake, or none."""

from __future__ import annotations

from pathlib import Path

from caicaini.payments.nowpayments import (
    NOWPaymentsProvider,
    UnconfiguredProvider,
    build_provider,
    ipn_secret,
)
from caicaini.testing.fake_nowpayments import DEV_IPN_SECRET, FakeNowPayments
from tests.conftest import TEST_SECRET, make_settings

PG = "postgresql://db.example/caicaini"


def test_the_embedded_default_uses_the_fake(tmp_path: Path) -> None:
    settings = make_settings("", tmp_path, env="development")
    provider, fake = build_provider(settings)
    assert isinstance(provider, NOWPaymentsProvider) and isinstance(fake, FakeNowPayments)
    assert fake.public_base_url == "http://testserver/_fake/nowpayments"
    assert ipn_secret(settings) == DEV_IPN_SECRET


def test_production_never_uses_the_fake(tmp_path: Path) -> None:
    settings = make_settings(
        PG,
        tmp_path,
        env="production",
        secret_key=TEST_SECRET,
        password_hash_profile="standard",
        public_url="https://caicaini.example",
    )
    provider, fake = build_provider(settings)
    assert isinstance(provider, UnconfiguredProvider) and fake is None
    assert ipn_secret(settings) == ""


def test_a_configured_base_url_is_used(tmp_path: Path) -> None:
    settings = make_settings(
        PG,
        tmp_path,
        env="production",
        secret_key=TEST_SECRET,
        password_hash_profile="standard",
        public_url="https://caicaini.example",
        nowpayments_base_url="https://api-sandbox.nowpayments.io/v1",
        nowpayments_api_key="key",
        nowpayments_ipn_secret="ipn",
    )
    provider, fake = build_provider(settings)
    assert isinstance(provider, NOWPaymentsProvider) and fake is None
    assert ipn_secret(settings) == "ipn"

"""Settings: one typed object built once from ``CAICAINI_*`` environment variables.

The embedded default needs none of them: SQLite under ``CAICAINI_DATA_DIR``, the demo
provider, the fake NOWPayments, e-mail kept in the outbox. Domain code receives the values it
needs; nothing reaches for a global.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-insecure-secret-change-me"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def served_url(host: str, port: int) -> str:
    """The URL of a server listening on ``host:port``, as a browser on this machine opens it:
    ``caicaini serve`` makes it the public URL when ``CAICAINI_PUBLIC_URL`` is not set, so links
    in pages and e-mails and the payment redirects point at the port actually served."""
    # A server bound to every interface is reached on this machine through loopback.
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAICAINI_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str = ""
    redis_url: str = ""
    # Default: the address ``caicaini serve`` listens on (its --host and --port).
    public_url: str = served_url(DEFAULT_HOST, DEFAULT_PORT)
    secret_key: str = PLACEHOLDER_SECRET

    smtp_url: str = ""
    mail_from: str = "Caicaini <no-reply@caicaini.local>"
    # Published on the contact and privacy pages.
    support_email: str = "support@caicaini.local"

    anthropic_base_url: str = ""
    anthropic_api_key: str = ""
    moonshot_base_url: str = ""
    moonshot_api_key: str = ""

    nowpayments_base_url: str = ""
    nowpayments_api_key: str = ""
    nowpayments_ipn_secret: str = ""
    # The account login NOWPayments wants (as a short-lived JWT) for listing payments: the
    # poller uses it to find a payment whose every callback was lost.
    nowpayments_email: str = ""
    nowpayments_password: str = ""

    # Knobs below are not part of the stable interface; defaults suit production.
    run_jobs_in_process: bool | None = None
    session_max_age_seconds: int = 14 * 24 * 3600
    verification_ttl_seconds: int = 48 * 3600
    password_reset_ttl_seconds: int = 3600
    audit_retention_days: int = 365
    # A NOWPayments payment reported paid with less actually paid than due, in its currency,
    # by more than this share goes to review (a prorated grant suggested) instead of credit.
    underpayment_tolerance_percent: Decimal = Decimal("1")
    # Sent (and finally failed) mail is deleted from the outbox this long after (privacy page).
    mail_retention_days: int = 30
    # Verification, password-reset and address-change mails: at most this many an hour to one
    # address or for one account (30 requests queued 30 mails).
    link_mails_per_hour: int = 5
    login_max_failures: int = 5
    login_window_seconds: int = 900
    hold_ttl_seconds: int = 900
    # The terminal client's device-code sign-in: how long a code lives, how often to poll.
    device_code_ttl_seconds: int = 600
    device_poll_interval_seconds: int = 5
    log_level: str = "INFO"
    log_json: bool = True
    max_body_bytes: int = Field(default=8 * 1024 * 1024)
    # Pools (``caicaini.capacity`` has the sizing rule: every process opens at most
    # ``database_pool_size`` connections, so processes x pool <= the server's
    # max_connections). A request waits at most the timeout for a connection, then gets 503.
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    redis_pool_size: int = Field(default=50, ge=1)
    redis_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    # Production hardening (``caicaini.http.security``). An ``http://`` public URL is refused
    # in production (cookies would not be Secure) unless explicitly allowed.
    allow_http_public_url: bool = False
    # ``/metrics`` wants ``Authorization: Bearer <token>`` when set; in production without one
    # it is not served at all.
    metrics_token: str = ""
    # Addresses (or CIDR ranges), comma-separated, of the reverse proxies whose
    # X-Forwarded-For / X-Forwarded-Proto are believed; nobody's by default.
    trusted_proxies: str = ""
    # The web chat: the longest prompt (and system prompt) it takes, and the max_tokens of each
    # reply (with the prompt's size, what sets the hold shown as "up to N credits").
    chat_max_prompt_chars: int = 32_000
    chat_max_tokens: int = 4096
    # "fast" makes argon2 cheap for the test suite only; production always uses "standard".
    password_hash_profile: Literal["standard", "fast"] = "standard"

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.env != "production":
            return self
        self.password_hash_profile = "standard"
        problems = []
        if self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32:
            problems.append("CAICAINI_SECRET_KEY must be set to a random value of 32+ characters")
        if not self.database_url or self.database_url.startswith("sqlite"):
            problems.append("CAICAINI_DATABASE_URL must point at PostgreSQL")
        if self.public_url.startswith("http://") and not self.allow_http_public_url:
            problems.append(
                "CAICAINI_PUBLIC_URL must be https:// (session cookies are Secure only then);"
                " set CAICAINI_ALLOW_HTTP_PUBLIC_URL=true to run over plain http anyway"
            )
        if self.nowpayments_base_url and not self.nowpayments_ipn_secret:
            problems.append("CAICAINI_NOWPAYMENTS_IPN_SECRET is required with NOWPayments")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return _async_driver(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'caicaini.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def jobs_in_process(self) -> bool:
        if self.run_jobs_in_process is not None:
            return self.run_jobs_in_process
        return self.env != "production"

    @property
    def proxies(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def _async_driver(url: str) -> str:
    """Accept the URLs operators write and pick the async driver SQLAlchemy needs."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url

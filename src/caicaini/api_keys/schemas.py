"""Request and response bodies of the key API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from caicaini.models.api_keys import ApiKey


class CreateKey(BaseModel):
    name: str = Field(default="default", max_length=100)
    expires_at: datetime | None = None
    allowed_models: list[str] | None = None
    daily_credit_cap: int | None = Field(default=None, ge=0)
    monthly_credit_cap: int | None = Field(default=None, ge=0)


class KeyOut(BaseModel):
    id: str
    name: str
    hint: str
    status: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    allowed_models: list[str] | None
    daily_credit_cap: int | None
    monthly_credit_cap: int | None
    rpm_override: int | None
    concurrency_override: int | None

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> KeyOut:
        return cls(
            id=key.id,
            name=key.name,
            hint=key.hint,
            status=status_of(key, now),
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            allowed_models=key.allowed_models,
            daily_credit_cap=key.daily_credit_cap,
            monthly_credit_cap=key.monthly_credit_cap,
            rpm_override=key.rpm_override,
            concurrency_override=key.concurrency_override,
        )


class CreatedKey(KeyOut):
    key: str = Field(description="The key itself. Shown this once; store it now.")


class KeyList(BaseModel):
    data: list[KeyOut]


class LeakReport(BaseModel):
    key: str = Field(max_length=500)


def status_of(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.disabled_at is not None:
        return "disabled"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"

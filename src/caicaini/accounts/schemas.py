"""Request and response bodies of the accounts JSON API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from caicaini.models.accounts import Account


class SignUpIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    date_of_birth: date
    country: str = Field(max_length=8)
    device_fingerprint: str | None = Field(default=None, max_length=256)


class LoginIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    device_fingerprint: str | None = Field(default=None, max_length=256)


class TokenIn(BaseModel):
    token: str = Field(max_length=200)


class PasswordResetIn(BaseModel):
    email: str = Field(max_length=320)


class PasswordResetConfirmIn(BaseModel):
    token: str = Field(max_length=200)
    new_password: str = Field(max_length=1024)


class ChangePasswordIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class ChangeEmailIn(BaseModel):
    new_email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class CloseIn(BaseModel):
    password: str = Field(max_length=1024)
    reason: str = Field(default="", max_length=500)


class AccountOut(BaseModel):
    id: str
    email: str
    email_verified: bool
    status: str
    status_reason: str | None
    country: str
    date_of_birth: date
    is_operator: bool
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.id,
            email=account.email,
            email_verified=account.email_verified_at is not None,
            status=account.status,
            status_reason=account.status_reason,
            country=account.country,
            date_of_birth=account.date_of_birth,
            is_operator=account.is_operator,
            created_at=account.created_at,
        )


class SessionOut(BaseModel):
    account: AccountOut
    csrf_token: str

"""Single-use, expiring links sent by e-mail (verify address, reset password, confirm a new
address). The raw token travels only in the e-mail; the database keeps its SHA-256, so a
database leak yields no working link. A used link refuses a replay with a clear message."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from caicaini.accounts.errors import LinkExpired, LinkInvalid, LinkUsed
from caicaini.accounts.repository import AccountRepository
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.models.accounts import AccountToken

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"
EMAIL_CHANGE = "email_change"

_USED_MESSAGES = {
    VERIFY_EMAIL: "This verification link has already been used. If your address is verified, "
    "just log in.",
    PASSWORD_RESET: "This password reset link has already been used. Ask for a new one if needed.",
    EMAIL_CHANGE: "This confirmation link has already been used.",
}


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenIssuer:
    def __init__(self, repo: AccountRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    async def issue(
        self, account_id: str, purpose: str, ttl_seconds: int, *, new_email: str | None = None
    ) -> str:
        now = self.clock.now()
        await self.repo.retire_tokens(account_id, purpose, now)
        raw = secrets.token_urlsafe(32)
        await self.repo.add_token(
            AccountToken(
                id=new_id("tok"),
                account_id=account_id,
                purpose=purpose,
                token_hash=token_hash(raw),
                new_email=new_email,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_seconds),
            )
        )
        return raw

    async def consume(self, raw: str, purpose: str) -> AccountToken:
        token = await self.repo.token_by_hash(token_hash(raw or "")) if raw else None
        if token is None or token.purpose != purpose:
            raise LinkInvalid("This link is not valid. Check that you copied all of it.")
        if token.used_at is not None:
            raise LinkUsed(_USED_MESSAGES[purpose])
        if token.expires_at <= self.clock.now():
            raise LinkExpired("This link has expired. Ask for a new one.")
        token.used_at = self.clock.now()
        return token

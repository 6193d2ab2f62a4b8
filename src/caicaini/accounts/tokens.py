"""Single-use, expiring links sent by e-mail (verify address, reset password, confirm a new
address). The raw token travels only in the e-mail, put in when the mail is sent: it is
derived from the token's id and the secret key (``caicaini.mail.links``); the outbox holds a
placeholder and the database the token's SHA-256, so a database leak yields no working link.
A used link refuses a replay with a clear message; a new link of one purpose retires the
older ones, and a password change (or a reset) retires pending reset links."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from caicaini.accounts.errors import LinkExpired, LinkInvalid, LinkUsed
from caicaini.accounts.repository import AccountRepository
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.mail import links
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
    def __init__(self, repo: AccountRepository, clock: Clock, secret_key: str) -> None:
        self.repo = repo
        self.clock = clock
        self.secret_key = secret_key

    async def issue(
        self, account_id: str, purpose: str, ttl_seconds: int, *, new_email: str | None = None
    ) -> str:
        """A new link token, retiring the account's older ones of ``purpose``. Returns what
        the mail carries in its place (``links.placeholder``), never the token itself."""
        now = self.clock.now()
        await self.retire(account_id, purpose)
        token_id = new_id("tok")
        await self.repo.add_token(
            AccountToken(
                id=token_id,
                account_id=account_id,
                purpose=purpose,
                token_hash=token_hash(links.token_for(self.secret_key, token_id)),
                new_email=new_email,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_seconds),
            )
        )
        return links.placeholder(token_id)

    async def retire(self, account_id: str, purpose: str) -> None:
        """The account's unused links of ``purpose`` stop working (they read as used)."""
        await self.repo.retire_tokens(account_id, purpose, self.clock.now())

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

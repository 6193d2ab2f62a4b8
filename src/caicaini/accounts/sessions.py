"""Server-side web sessions and login throttling.

The session cookie holds a random token; the ``web_sessions`` row is keyed by its SHA-256
and carries the account's ``session_version`` at login plus a per-session CSRF token. A
password change or a status change bumps/ends sessions, so a stolen cookie dies with them.

Failed logins are counted per client address and per account (``login_failures`` rows within
``login_window_seconds``). Past the limit the login is refused with ``RateLimited`` and a
``retry_after`` before the password is even checked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from caicaini.accounts.repository import AccountRepository
from caicaini.config import Settings
from caicaini.errors import AccountUnavailable, AuthenticationFailed, RateLimited
from caicaini.kit.clock import Clock
from caicaini.models.accounts import Account, WebSession

# A shared address (office, NAT) sees more honest typos than one account does.
ADDRESS_FAILURE_FACTOR = 4


@dataclass(frozen=True)
class StartedSession:
    token: str  # goes in the cookie, never stored
    web_session: WebSession


def session_id_for(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unavailable(account: Account) -> AccountUnavailable:
    reason = f" Reason: {account.status_reason}" if account.status_reason else ""
    message = {
        "suspended": "This account is suspended.",
        "banned": "This account is banned.",
        "closed": "This account is closed.",
    }.get(account.status, "This account cannot be used.")
    return AccountUnavailable(message + reason, details={"status": account.status})


class SessionService:
    def __init__(self, repo: AccountRepository, clock: Clock, settings: Settings) -> None:
        self.repo = repo
        self.clock = clock
        self.settings = settings

    async def start(self, account: Account) -> StartedSession:
        now = self.clock.now()
        token = secrets.token_urlsafe(32)
        web_session = WebSession(
            id=session_id_for(token),
            account_id=account.id,
            session_version=account.session_version,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(seconds=self.settings.session_max_age_seconds),
        )
        await self.repo.add_session(web_session)
        return StartedSession(token, web_session)

    async def resolve(self, token: str | None) -> tuple[Account, WebSession]:
        """The account behind a session cookie, or AuthenticationFailed/AccountUnavailable."""
        web_session = await self.repo.get_session(session_id_for(token)) if token else None
        if web_session is None or web_session.expires_at <= self.clock.now():
            raise AuthenticationFailed("Please log in.")
        account = await self.repo.get(web_session.account_id)
        if account is None or account.session_version != web_session.session_version:
            raise AuthenticationFailed("Your session has ended. Please log in again.")
        if account.status != "active":
            raise unavailable(account)
        return account, web_session

    async def end(self, token: str | None) -> None:
        if token:
            await self.repo.delete_session(session_id_for(token))

    # throttling
    def _keys(self, ip: str | None, email: str) -> list[tuple[str, int]]:
        limit = self.settings.login_max_failures
        keys = [(f"account:{email}", limit)]
        if ip:
            keys.append((f"address:{ip}", limit * ADDRESS_FAILURE_FACTOR))
        return keys

    async def check_throttle(self, ip: str | None, email: str) -> None:
        now = self.clock.now()
        window = timedelta(seconds=self.settings.login_window_seconds)
        for key, limit in self._keys(ip, email):
            count, oldest = await self.repo.failures_since(key, now - window)
            if count >= limit and oldest is not None:
                retry_after = max(1, int((oldest + window - now).total_seconds()) + 1)
                raise RateLimited(
                    "Too many failed logins. Wait a few minutes before trying again.",
                    retry_after=retry_after,
                )

    async def record_failure(self, ip: str | None, email: str) -> None:
        now = self.clock.now()
        for key, _limit in self._keys(ip, email):
            await self.repo.add_failure(key, now)

    async def clear_failures(self, email: str) -> None:
        await self.repo.clear_failures(f"account:{email}")

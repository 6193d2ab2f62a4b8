"""One person, one account.

Sign-up and login record the client's IP address and a device fingerprint (the SHA-256 of
stable browser traits computed by ``/static/fingerprint.js``, or a hash of a machine id sent
by the terminal client). Only a SHA-256 of the fingerprint is stored. Accounts that share a
signal are related and shown to operators; a device or address tied to a suspended or banned
account cannot open a new account; a later account on an already-seen device is a second free
account and gets no free allowance (the credits engineer asks ``is_second_free_account``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.kit.clock import Clock
from caicaini.models.accounts import AccountSignal
from caicaini.trust.errors import SignalBlocked
from caicaini.trust.repository import SignalRepository

BLOCKING_STATUSES = frozenset({"suspended", "banned"})
_FINGERPRINT = re.compile(r"^[A-Za-z0-9:_\-]{16,128}$")


def fingerprint_value(raw: str | None) -> str | None:
    """The stored form of a client-supplied fingerprint; None when absent or malformed
    (a bad fingerprint never blocks a sign-up, it just gives no signal)."""
    if not raw or not _FINGERPRINT.match(raw.strip()):
        return None
    return hashlib.sha256(raw.strip().encode()).hexdigest()


def signal_pairs(ip: str | None, fingerprint: str | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if ip and ip != "unknown":
        pairs.append(("ip", ip[:128]))
    device = fingerprint_value(fingerprint)
    if device:
        pairs.append(("device", device))
    return pairs


@dataclass(frozen=True)
class RelatedAccount:
    account_id: str
    email: str
    status: str
    created_at: datetime
    shared: list[str] = field(default_factory=list)  # signal kinds in common: "ip", "device"


class TrustService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = SignalRepository(session)
        self.clock = clock

    async def check_new_account_allowed(self, ip: str | None, fingerprint: str | None) -> None:
        for account, _kind in await self.repo.accounts_sharing(signal_pairs(ip, fingerprint)):
            if account.status in BLOCKING_STATUSES:
                raise SignalBlocked(
                    "A new account cannot be opened from this device or network because it is "
                    "linked to a suspended account. Contact support if you think this is wrong."
                )

    async def record(
        self, account_id: str, *, ip: str | None, fingerprint: str | None, event: str
    ) -> None:
        """Store each signal once per account and event kind (logins repeat a lot)."""
        now = self.clock.now()
        for kind, value in signal_pairs(ip, fingerprint):
            if event == "login" and await self.repo.has(account_id, kind, value):
                continue
            await self.repo.add(
                AccountSignal(
                    account_id=account_id, kind=kind, value=value, event=event, created_at=now
                )
            )

    async def related_accounts(self, account_id: str) -> list[RelatedAccount]:
        pairs = await self.repo.signals_of(account_id)
        grouped: dict[str, RelatedAccount] = {}
        for account, kind in await self.repo.accounts_sharing(pairs, exclude=account_id):
            entry = grouped.setdefault(
                account.id,
                RelatedAccount(account.id, account.email, account.status, account.created_at),
            )
            if kind not in entry.shared:
                entry.shared.append(kind)
        return list(grouped.values())

    async def is_second_free_account(self, account_id: str) -> bool:
        """True when an earlier account was seen on the same device."""
        return await self.repo.earlier_account_on_device(account_id)

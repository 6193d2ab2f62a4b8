"""One person, one account.

Sign-up and login record the client's IP address and a device fingerprint (the SHA-256 of
stable browser traits computed by ``/static/fingerprint.js``, or a hash of a machine id sent
by the terminal client). Only a SHA-256 of the fingerprint is stored. Accounts that share a
signal are related and shown to operators; a device or address tied to a suspended or banned
account cannot open a new account; a later account on an already-seen device is a second free
account and gets no free allowance (the credits engineer asks ``is_second_free_account``).

The rules are configurable by operators (``SignupRules``, one row; absent, every rule is on)
and shown in the console: whether a device, and whether an address, tied to a suspended or
banned account blocks a sign-up, and whether a later account on a seen device is a second
free account. ``duplicate_groups`` lists the devices and sign-up addresses several accounts
share in a window, with each account's state.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.kit.clock import Clock
from caicaini.models.accounts import Account, AccountSignal, SignupRules
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


GROUP_LIMIT = 100


@dataclass(frozen=True)
class Rules:
    block_linked_devices: bool = True
    block_linked_ips: bool = True
    second_free_by_device: bool = True
    updated_by: str | None = None
    updated_at: datetime | None = None

    def blocks(self, kind: str) -> bool:
        return self.block_linked_devices if kind == "device" else self.block_linked_ips


@dataclass
class SignalGroup:
    """Accounts that showed the same device or sign-up address."""

    kind: str  # "device" | "ip"
    value: str
    members: list[tuple[Account, datetime]] = field(default_factory=list)  # (account, last seen)

    @property
    def shown_value(self) -> str:
        return f"device {self.value[:12]}…" if self.kind == "device" else f"address {self.value}"

    @property
    def blocked(self) -> bool:
        """A member is suspended or banned: this signal refuses new sign-ups (if the rule is
        on)."""
        return any(a.status in BLOCKING_STATUSES for a, _ in self.members)


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

    async def rules(self) -> Rules:
        row = await self.repo.rules()
        if row is None:
            return Rules()
        return Rules(
            row.block_linked_devices, row.block_linked_ips, row.second_free_by_device,
            row.updated_by, row.updated_at,
        )  # fmt: skip

    async def set_rules(
        self,
        *,
        block_linked_devices: bool,
        block_linked_ips: bool,
        second_free_by_device: bool,
        reason: str,
        actor: Actor,
    ) -> Rules:
        """Change the sign-up rules (audited with the reason and what changed)."""
        before = await self.rules()
        row = await self.repo.rules(for_update=True)
        if row is None:
            row = SignupRules(id=1, block_linked_devices=True, block_linked_ips=True,
                              second_free_by_device=True, updated_at=self.clock.now())  # fmt: skip
            await self.repo.add_rules(row)
        row.block_linked_devices = block_linked_devices
        row.block_linked_ips = block_linked_ips
        row.second_free_by_device = second_free_by_device
        row.updated_by, row.updated_at = actor.id, self.clock.now()
        after = await self.rules()
        names = ("block_linked_devices", "block_linked_ips", "second_free_by_device")
        changed = {n: getattr(after, n) for n in names if getattr(before, n) != getattr(after, n)}
        await AuditService(self.repo.session, self.clock).record(
            "trust.rules_changed", actor=actor, target_type="signup_rules", target_id="1",
            details={"changed": changed, "reason": reason},
        )  # fmt: skip
        return after

    async def duplicate_groups(self, window: timedelta | None) -> list[SignalGroup]:
        since = self.clock.now() - window if window is not None else None
        groups: dict[tuple[str, str], SignalGroup] = {}
        for kind, value, account, seen in await self.repo.shared_signals(since, limit=GROUP_LIMIT):
            group = groups.setdefault((kind, value), SignalGroup(kind, value))
            group.members.append((account, seen))
        return sorted(groups.values(), key=lambda g: max(s for _, s in g.members), reverse=True)

    async def check_new_account_allowed(self, ip: str | None, fingerprint: str | None) -> None:
        rules = await self.rules()
        pairs = [(k, v) for k, v in signal_pairs(ip, fingerprint) if rules.blocks(k)]
        for account, _kind in await self.repo.accounts_sharing(pairs):
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
        """True when an earlier account was seen on the same device (and the rule is on)."""
        if not (await self.rules()).second_free_by_device:
            return False
        return await self.repo.earlier_account_on_device(account_id)

"""The device sign-in of the terminal client (OAuth 2.0 device authorization, RFC 8628).

    client                         server                          browser (logged in)
    POST /api/v1/device/code  ──►  start: device code (secret, kept by the client),
                                   user code (typed by a person), URL, interval
    print URL and user code                                        /device?code=USER-CODE
    POST /api/v1/device/token ──►  poll: authorization_pending ◄── approve (plan has API
      (every ``interval`` s)       … slow_down if too eager         access?) or deny
                              ◄──  approved: a key of its own, named after the device,
                                   created now, exactly once (``issued``)

The key is created when the client collects it, so it is never stored in a readable form;
a second poll of the same approval finds it ``issued`` and gets nothing. A free plan is told
at approval that it has no API access, and so is the client. Codes expire after
``device_code_ttl_seconds``; an address may start only so many sign-ins per window.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.api_keys.errors import ApiKeysNotInPlan
from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor, AuditService
from caicaini.config import Settings
from caicaini.devices.errors import AccessDenied, DeviceCodeExpired, UnknownDeviceCode
from caicaini.devices.repository import DeviceRepository
from caicaini.errors import InvalidInput, RateLimited
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.models.devices import DeviceAuthorization
from caicaini.plans.service import PlanService
from caicaini.trust.service import TrustService

# RFC 8628 §6.1: consonants only (no vowels, so no words; no look-alikes such as 0/O, 1/I).
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
STARTS_PER_ADDRESS = 30  # sign-ins an address may start per code lifetime
KEEP_EXPIRED = timedelta(days=1)
NO_API_ACCESS = "no_api_access"


@dataclass(frozen=True)
class StartedDevice:
    device_code: str
    user_code: str
    expires_in: int
    interval: int


@dataclass(frozen=True)
class IssuedKey:
    key: str
    key_id: str
    key_name: str


PENDING = "authorization_pending"
SLOW_DOWN = "slow_down"


@dataclass(frozen=True)
class PollResult:
    key: IssuedKey | None = None
    wait: str | None = None  # PENDING or SLOW_DOWN while there is no key
    interval: int = 5


def normalise_user_code(raw: str) -> str:
    """``bcdf-ghjk``, ``BCDF GHJK`` → ``BCDF-GHJK`` (what people type varies)."""
    letters = "".join(ch for ch in raw.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == USER_CODE_LENGTH else letters


def key_name_for(device_name: str) -> str:
    return f"Caicaini Code on {device_name}"[:100]


def _digest(device_code: str) -> str:
    return hashlib.sha256(device_code.encode()).hexdigest()


def _user_code() -> str:
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return normalise_user_code(letters)


class DeviceLoginService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.repo = DeviceRepository(session)
        self.audit = AuditService(session, clock)

    async def start(self, device_name: str, fingerprint: str | None, ip: str) -> StartedDevice:
        name = " ".join(device_name.split())[:64]
        if not name:
            raise InvalidInput(
                "device_name: name the device (e.g. its host name)", field="device_name"
            )
        now = self.clock.now()
        ttl = self.settings.device_code_ttl_seconds
        if await self.repo.started_since(ip, now - timedelta(seconds=ttl)) >= STARTS_PER_ADDRESS:
            raise RateLimited(
                "too many sign-ins started from this address; wait a few minutes", retry_after=ttl
            )
        await self.repo.delete_expired(now - KEEP_EXPIRED)
        device_code = secrets.token_urlsafe(32)
        row = DeviceAuthorization(
            id=new_id("dev"),
            device_code_hash=_digest(device_code),
            user_code=await self._unused_user_code(),
            device_name=name,
            fingerprint=(fingerprint or "")[:128] or None,
            client_ip=ip[:64],
            status="pending",
            interval_seconds=self.settings.device_poll_interval_seconds,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
        await self.repo.add(row)
        return StartedDevice(device_code, row.user_code, ttl, row.interval_seconds)

    async def _unused_user_code(self) -> str:
        while True:  # 20^8 codes: a clash is rare, never repeated many times
            code = _user_code()
            if await self.repo.by_user_code(code) is None:
                return code

    # -- the browser side -------------------------------------------------------------------
    async def pending(self, user_code: str) -> DeviceAuthorization:
        """The request a person is looking at; it must still be waiting for a decision."""
        row = await self.repo.by_user_code(normalise_user_code(user_code))
        if row is None:
            raise UnknownDeviceCode("no sign-in request has this code; check it in your terminal")
        if row.status != "pending" or self._expired(row):
            raise DeviceCodeExpired(
                "this code has expired or was already used; run `caicaini-code login` again"
            )
        return row

    async def approve(
        self, user_code: str, account_id: str, *, actor: Actor
    ) -> DeviceAuthorization:
        """Approve for ``account_id``; a plan without API access records a refusal instead
        (``row.refusal``), which the page shows and the client's next poll reports."""
        row = await self.pending(user_code)
        plan = (await PlanService(self.session, self.clock).terms_for(account_id)).plan
        row.account_id, row.decided_at = account_id, self.clock.now()
        if not plan.api_keys:
            # Recorded (not raised, which would roll it back): the client is told at its poll.
            row.status, row.refusal = "denied", NO_API_ACCESS
            await self.session.flush()
            await self._audit("device.refused_no_api_access", row, actor)
            return row
        row.status = "approved"
        await self.session.flush()
        await TrustService(self.session, self.clock).record(
            account_id, ip=row.client_ip, fingerprint=row.fingerprint, event="device_login"
        )
        await self._audit("device.approved", row, actor)
        return row

    async def deny(self, user_code: str, account_id: str, *, actor: Actor) -> DeviceAuthorization:
        row = await self.pending(user_code)
        row.status, row.refusal = "denied", "user"
        row.account_id, row.decided_at = account_id, self.clock.now()
        await self.session.flush()
        await self._audit("device.denied", row, actor)
        return row

    async def no_api_access(self, account_id: str) -> ApiKeysNotInPlan:
        """The refusal a plan without API keys gets, naming the plan and where to upgrade."""
        plan = (await PlanService(self.session, self.clock).terms_for(account_id)).plan
        billing = self.settings.public_url.rstrip("/") + "/billing"
        return ApiKeysNotInPlan(
            f"your {plan.display_name or plan.name} plan has no API access, so Caicaini Code "
            f"cannot sign in; upgrade to a paid plan at {billing}"
        )

    # -- the client side --------------------------------------------------------------------
    async def poll(self, device_code: str) -> PollResult:
        """The key once approved; otherwise what the client should wait for. Waiting is a
        result, not an error, so the poll time it records is kept (errors roll back)."""
        row = await self.repo.by_device_code_hash(_digest(device_code))
        if row is None:
            raise UnknownDeviceCode("unknown device code; run `caicaini-code login` again")
        now = self.clock.now()
        if row.status == "denied":
            if row.refusal == NO_API_ACCESS and row.account_id is not None:
                raise await self.no_api_access(row.account_id)
            raise AccessDenied("the sign-in was denied in the browser")
        if row.status == "issued" or self._expired(row):
            raise DeviceCodeExpired("this sign-in has expired; run `caicaini-code login` again")
        interval = row.interval_seconds
        too_soon = row.last_polled_at is not None and now < row.last_polled_at + timedelta(
            seconds=max(0, interval - 1)
        )
        row.last_polled_at = now
        await self.session.flush()
        if too_soon:
            return PollResult(wait=SLOW_DOWN, interval=interval)
        if row.status == "pending":
            return PollResult(wait=PENDING, interval=interval)
        return PollResult(key=await self._issue(row), interval=interval)

    async def _issue(self, row: DeviceAuthorization) -> IssuedKey:
        assert row.account_id is not None
        if not await self.repo.claim_for_issue(row.id):
            raise DeviceCodeExpired("this sign-in was already completed")
        name = key_name_for(row.device_name)
        actor = Actor("account", row.account_id, row.client_ip)
        key, secret = await ApiKeyService(self.session, self.clock).create(
            row.account_id, KeyOptions(name=name), actor=actor
        )
        row.key_id = key.id
        await self.session.flush()
        return IssuedKey(secret, key.id, key.name)

    def _expired(self, row: DeviceAuthorization) -> bool:
        return row.expires_at <= self.clock.now()

    async def _audit(self, action: str, row: DeviceAuthorization, actor: Actor) -> None:
        await self.audit.record(
            action,
            actor=actor,
            target_type="device_authorization",
            target_id=row.id,
            subject_account_id=row.account_id,
            details={"device_name": row.device_name},
        )

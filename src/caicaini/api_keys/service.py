"""API keys: create (plans with keys only), list, revoke, report a leak, remind to rotate.

Keys are shown once and stored as ``sha256(key)``; see ``keyformat`` for the format. Every
change is audited (without the key). Revocation evicts the key from this process's cache at
once; other processes see it within the cache's few-second TTL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.api_keys import keyformat
from caicaini.api_keys.cache import KeyRecord, invalidate_everywhere
from caicaini.api_keys.errors import ApiKeysNotInPlan, TooManyKeys
from caicaini.api_keys.repository import ApiKeyRepository
from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput, NotFound
from caicaini.guardrails.caps import check_caps
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.kit.text import plain_text
from caicaini.mail.service import MailService
from caicaini.models.accounts import Account
from caicaini.models.api_keys import ApiKey

ROTATION_AGE = timedelta(days=90)
# Working (not revoked, not expired) keys an account may hold: far above real use (a key per
# machine or tool), far below the 144 an abuse pass created.
MAX_ACTIVE_KEYS = 25
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyOptions:
    name: str = "default"
    expires_at: datetime | None = None
    allowed_models: list[str] | None = None
    daily_credit_cap: int | None = None
    monthly_credit_cap: int | None = None
    rpm_override: int | None = None
    concurrency_override: int | None = None


class ApiKeyService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.repo = ApiKeyRepository(session)
        self.audit = AuditService(session, clock)

    async def create(
        self, account_id: str, options: KeyOptions, *, actor: Actor
    ) -> tuple[ApiKey, str]:
        """Issue a key; returns the row and the key itself (the only time it is visible)."""
        from caicaini.plans.service import PlanService

        terms = await PlanService(self.session, self.clock).terms_for(account_id)
        if not terms.plan.api_keys:
            raise ApiKeysNotInPlan(
                f"the {terms.plan.name} plan does not include API keys; upgrade to use them"
            )
        self._validate(options)
        now = self.clock.now()
        working = [
            k
            for k in await self.repo.active_for_account(account_id)
            if k.expires_at is None or k.expires_at > now
        ]
        if len(working) >= MAX_ACTIVE_KEYS:
            raise TooManyKeys(
                f"an account holds at most {MAX_ACTIVE_KEYS} working API keys; "
                "revoke one you no longer use to create another"
            )
        secret = keyformat.generate()
        key = ApiKey(
            id=new_id("key"),
            account_id=account_id,
            name=plain_text(options.name, "name").strip()[:100] or "default",
            key_hash=keyformat.key_hash(secret),
            hint=keyformat.hint(secret),
            created_at=now,
            expires_at=options.expires_at,
            allowed_models=options.allowed_models,
            daily_credit_cap=options.daily_credit_cap,
            monthly_credit_cap=options.monthly_credit_cap,
            rpm_override=options.rpm_override,
            concurrency_override=options.concurrency_override,
        )
        await self.repo.add(key)
        details: dict[str, object] = {"name": key.name, "hint": key.hint}
        overrides = {"rpm": options.rpm_override, "concurrency": options.concurrency_override}
        if any(v is not None for v in overrides.values()):
            details["rate_limit_override"] = overrides
        await self.audit.record(
            "api_key.created",
            actor=actor,
            target_type="api_key",
            target_id=key.id,
            subject_account_id=account_id,
            details=details,
        )
        return key, secret

    def _validate(self, options: KeyOptions) -> None:
        now = self.clock.now()
        if options.expires_at is not None and options.expires_at.utcoffset() is None:
            raise InvalidInput(
                "expiry needs a timezone (e.g. 2027-01-01T00:00:00Z)", field="expires_at"
            )
        if options.expires_at is not None and options.expires_at <= now:
            raise InvalidInput("expiry must be in the future", field="expires_at")
        check_caps(options.daily_credit_cap, options.monthly_credit_cap)
        for name in ("rpm_override", "concurrency_override"):
            value = getattr(options, name)
            if value is not None and value < 1:
                raise InvalidInput("limits must be at least 1", field=name)

    async def list_keys(self, account_id: str) -> list[ApiKey]:
        return await self.repo.for_account(account_id)

    async def owned(self, account_id: str, key_id: str) -> ApiKey:
        key = await self.repo.get(key_id)
        if key is None or key.account_id != account_id:
            raise NotFound("no such key")
        return key

    async def revoke(
        self,
        account_id: str,
        key_id: str,
        *,
        actor: Actor,
        reason: str = "owner",
        note: str | None = None,
    ) -> ApiKey:
        """``reason`` is a short code (owner, operator...); ``note`` an operator's own words
        for the audit log."""
        key = await self.owned(account_id, key_id)
        if key.revoked_at is None:
            await self._revoke(key, reason=reason, actor=actor, note=note)
        return key

    async def _revoke(
        self, key: ApiKey, *, reason: str, actor: Actor, note: str | None = None
    ) -> None:
        key.revoked_at = self.clock.now()
        key.revoked_reason = reason
        await self.session.flush()
        invalidate_everywhere(key.key_hash)
        details = {"reason": reason, "hint": key.hint}
        if note:
            details["note"] = note[:500]
        await self.audit.record(
            "api_key.revoked",
            actor=actor,
            target_type="api_key",
            target_id=key.id,
            subject_account_id=key.account_id,
            details=details,
        )

    async def report_leak(self, reported: str, *, ip: str | None, public_url: str) -> None:
        """Revoke a reported key at once and tell its owner. Says nothing either way."""
        if not keyformat.well_formed(reported):
            return
        found = await self.repo.by_hash_with_account(keyformat.key_hash(reported))
        if found is None:
            return
        key, account = found
        if key.revoked_at is not None:
            return
        await self._revoke(key, reason="leak_reported", actor=Actor("public", None, ip))
        await MailService(self.session, self.clock, public_url).send(
            account.email,
            "notice",
            {
                "subject": "Your Caicaini API key was reported as leaked and has been revoked",
                "body": (
                    f'Someone reported your API key "{key.name}" ({key.hint}) as publicly '
                    "exposed, so we revoked it immediately. Create a new key in your dashboard "
                    "and replace it wherever the old one was used."
                ),
            },
            account_id=account.id,
        )

    async def revoke_all(self, account_id: str, *, reason: str, actor: Actor) -> int:
        keys = await self.repo.active_for_account(account_id)
        for key in keys:
            await self._revoke(key, reason=reason, actor=actor)
        return len(keys)

    async def set_disabled(self, account_id: str, disabled: bool) -> int:
        """Suspension disables every key; reinstatement re-enables the ones not revoked."""
        keys = await self.repo.active_for_account(account_id)
        now = self.clock.now()
        for key in keys:
            key.disabled_at = now if disabled else None
            invalidate_everywhere(key.key_hash)
        await self.session.flush()
        return len(keys)

    async def set_limits(
        self, key_id: str, *, rpm: int | None, concurrency: int | None, actor: Actor
    ) -> ApiKey:
        """An operator's override of the plan's rate limits for one key (audited)."""
        key = await self.repo.get(key_id)
        if key is None:
            raise NotFound("no such key")
        self._validate(KeyOptions(rpm_override=rpm, concurrency_override=concurrency))
        before = {"rpm": key.rpm_override, "concurrency": key.concurrency_override}
        key.rpm_override, key.concurrency_override = rpm, concurrency
        await self.session.flush()
        invalidate_everywhere(key.key_hash)
        await self.audit.record(
            "api_key.limits_overridden",
            actor=actor,
            target_type="api_key",
            target_id=key.id,
            subject_account_id=key.account_id,
            details={"before": before, "after": {"rpm": rpm, "concurrency": concurrency}},
        )
        return key

    async def set_caps(
        self,
        account_id: str,
        key_id: str,
        *,
        daily: int | None,
        monthly: int | None,
        actor: Actor,
    ) -> ApiKey:
        """The owner's daily and monthly spend caps for one key (audited); ``None`` lifts one."""
        key = await self.owned(account_id, key_id)
        check_caps(daily, monthly)
        before = {"daily": key.daily_credit_cap, "monthly": key.monthly_credit_cap}
        key.daily_credit_cap, key.monthly_credit_cap = daily, monthly
        await self.session.flush()
        invalidate_everywhere(key.key_hash)
        await self.audit.record(
            "api_key.caps_set",
            actor=actor,
            target_type="api_key",
            target_id=key.id,
            subject_account_id=key.account_id,
            details={"before": before, "after": {"daily": daily, "monthly": monthly}},
        )
        return key

    async def send_rotation_reminders(self, public_url: str) -> int:
        """Remind owners of keys older than 90 days, once per key."""
        now = self.clock.now()
        due = await self.repo.due_for_rotation(now - ROTATION_AGE)
        mail = MailService(self.session, self.clock, public_url)
        for key in due:
            key.rotation_reminded_at = now
            account = await self.session.get(Account, key.account_id)
            if account is None or account.status != "active":
                continue
            await mail.send(
                account.email,
                "notice",
                {
                    "subject": "Time to rotate your Caicaini API key",
                    "body": (
                        f'Your API key "{key.name}" ({key.hint}) is more than 90 days old. '
                        "Create a new key, switch your tools to it, then revoke the old one."
                    ),
                },
                account_id=account.id,
            )
        await self.session.flush()
        return len(due)

    # the gateway's view
    async def record_for(self, key_hash: str) -> KeyRecord | None:
        found = await self.repo.by_hash_with_account(key_hash)
        if found is None:
            return None
        key, account = found
        return KeyRecord(
            id=key.id,
            account_id=key.account_id,
            key_hash=key.key_hash,
            # A key disabled only because its account is suspended or banned stays
            # "usable" here so the gateway can say why it is refused (AccountUnavailable).
            usable=key.revoked_at is None
            and (key.disabled_at is None or account.status != "active"),
            account_status=account.status,
            expires_at=key.expires_at,
            allowed_models=tuple(key.allowed_models) if key.allowed_models else None,
            daily_credit_cap=key.daily_credit_cap,
            monthly_credit_cap=key.monthly_credit_cap,
            rpm_override=key.rpm_override,
            concurrency_override=key.concurrency_override,
            last_used_at=key.last_used_at,
            revoked_reason=key.revoked_reason if key.revoked_at is not None else None,
        )

    async def touch(self, key_id: str) -> None:
        now = self.clock.now()
        await self.repo.touch(key_id, now, not_since=now - LAST_USED_GRANULARITY)


# -- account hooks: closure revokes every key; suspension disables them until reinstated ----
async def _on_closure(session: AsyncSession, clock: Clock, account_id: str, reason: str) -> None:
    await ApiKeyService(session, clock).revoke_all(
        account_id, reason="account_closed", actor=Actor.system()
    )


async def _on_status(session: AsyncSession, clock: Clock, account_id: str, status: str) -> None:
    await ApiKeyService(session, clock).set_disabled(account_id, status != "active")


def _register_hooks() -> None:
    from caicaini.accounts import closure

    if _on_closure not in closure.CLOSURE_HOOKS:
        closure.CLOSURE_HOOKS.append(_on_closure)
    if _on_status not in closure.STATUS_HOOKS:
        closure.STATUS_HOOKS.append(_on_status)


_register_hooks()

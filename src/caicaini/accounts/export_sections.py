"""The data export's sections from the account's own domains: profile, grants, ledger
entries, payments (orders and payments), key metadata (never a key), notices and Terms
acceptances. Usage and receipts come from ``caicaini.usage.service``, spend caps from
``caicaini.guardrails.service``, conversations from the chat. ``SECTION_ORDER`` is the order
a reader meets them in the document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import export
from caicaini.accounts.repository import AccountRepository
from caicaini.api_keys.service import ApiKeyService
from caicaini.kit.clock import SystemClock
from caicaini.ledger.service import LedgerService
from caicaini.notices.repository import NoticeRepository

SECTION_ORDER = (
    "profile", "grants", "ledger", "usage", "receipts", "payments", "api_keys", "guardrails",
    "conversations", "notices", "terms_acceptances",
)  # fmt: skip
BATCH = 500


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def profile(session: AsyncSession, account_id: str) -> dict[str, Any]:
    account = await AccountRepository(session).get(account_id)
    if account is None:
        return {}
    return {
        "id": account.id,
        "email": account.email,
        "email_verified_at": _at(account.email_verified_at),
        "date_of_birth": account.date_of_birth.isoformat(),
        "country": account.country,
        "status": account.status,
        "created_at": _at(account.created_at),
        "closed_at": _at(account.closed_at),
    }


async def grants(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    rows = await LedgerService(session, SystemClock()).grants(account_id)
    return [
        {
            "id": g.id, "kind": g.kind, "amount": g.amount, "remaining": g.remaining,
            "status": g.status, "issued_at": _at(g.issued_at), "expires_at": _at(g.expires_at),
        }
        for g in rows
    ]  # fmt: skip


async def ledger(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    service = LedgerService(session, SystemClock())
    entries: list[dict[str, Any]] = []
    while batch := await service.history(account_id, limit=BATCH, offset=len(entries)):
        entries += [
            {
                "id": e.id, "kind": e.kind, "amount": e.amount, "charged": e.charged,
                "grant_id": e.grant_id, "request_id": e.request_id, "reason": e.reason,
                "created_at": _at(e.created_at),
            }
            for e in batch
        ]  # fmt: skip
    return entries


async def payments(session: AsyncSession, account_id: str) -> dict[str, Any]:
    from caicaini.payments.repository import PaymentRepository
    from caicaini.payments.schemas import OrderOut, PaymentOut

    repo = PaymentRepository(session)
    return {
        "orders": [
            OrderOut.of(o).model_dump(mode="json")
            for o in await repo.orders_of(account_id, limit=10_000)
        ],
        "payments": [
            PaymentOut.of(p).model_dump(mode="json")
            for p in await repo.payments_of(account_id, limit=10_000)
        ],
    }


async def api_keys(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    """What a key is, never the key: no secret and no hash."""
    keys = await ApiKeyService(session, SystemClock()).list_keys(account_id)
    return [
        {
            "id": k.id, "name": k.name, "hint": k.hint, "created_at": _at(k.created_at),
            "last_used_at": _at(k.last_used_at), "expires_at": _at(k.expires_at),
            "revoked_at": _at(k.revoked_at), "revoked_reason": k.revoked_reason,
            "allowed_models": k.allowed_models, "daily_credit_cap": k.daily_credit_cap,
            "monthly_credit_cap": k.monthly_credit_cap,
        }
        for k in keys
    ]  # fmt: skip


async def notices(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    rows = await NoticeRepository(session).of_account(account_id, limit=10_000, offset=0)
    return [
        {
            "kind": n.kind, "subject": n.subject, "body": n.body,
            "effective_at": _at(n.effective_at), "created_at": _at(n.created_at),
            "read_at": _at(n.read_at),
        }
        for n in rows
    ]  # fmt: skip


async def terms_acceptances(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    rows = await NoticeRepository(session).acceptances_of(account_id)
    return [{"version": a.version, "accepted_at": _at(a.accepted_at)} for a in rows]


def document(sections: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The export as one JSON object: when, then the sections in ``SECTION_ORDER`` (any
    other registered section after them)."""
    ordered = sorted(
        sections,
        key=lambda name: (
            SECTION_ORDER.index(name) if name in SECTION_ORDER else len(SECTION_ORDER),
            name,
        ),
    )
    return {
        "format": "caicaini-export/1",
        "exported_at": now.astimezone(UTC).isoformat(),
        **{name: sections[name] for name in ordered},
    }


for _name, _collect in (
    ("profile", profile),
    ("grants", grants),
    ("ledger", ledger),
    ("payments", payments),
    ("api_keys", api_keys),
    ("notices", notices),
    ("terms_acceptances", terms_acceptances),
):
    export.register_section(_name, _collect)

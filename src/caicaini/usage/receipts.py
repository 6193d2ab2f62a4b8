"""A receipt written for a person, and verifying one the customer holds.

The signed payload (``caicaini.gateway.receipts``) is the source of truth: what was called
(model, provider, time, key or web), the tokens upstream reported, the units, the rate and
price-sheet version, the credits charged and the grants debited. ``ReceiptView`` adds what a
reader needs to follow the arithmetic: the model's included token sizes at that price-sheet
version, the units each side came to, the key's name and each grant's kind and expiry.

A receipt document (what the page offers for download and what ``verify_document`` checks) is
``{"payload": ..., "signature": ..., "signature_algorithm": "HMAC-SHA256"}``; the signature is
HMAC-SHA256, keyed with the server secret, over the payload's canonical JSON (keys sorted, no
spaces, UTF-8). Only the server (and support, who hold its secret) can recompute it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.api_keys.service import ApiKeyService
from caicaini.errors import InvalidInput, NotFound
from caicaini.gateway import receipts
from caicaini.kit.clock import Clock
from caicaini.kit.credits import ceil_div
from caicaini.ledger.service import LedgerService
from caicaini.plans.errors import NoPriceSheet
from caicaini.plans.service import PlanService
from caicaini.usage.repository import UsageReportRepository

ALGORITHM = "HMAC-SHA256"
MAX_DOCUMENT = 64 * 1024


@dataclass(frozen=True)
class GrantPaid:
    grant_id: str
    kind: str | None
    expires_at: datetime | None
    credits: int


@dataclass(frozen=True)
class UnitsWorking:
    """How the units were computed: max(1, ceil(input / included), ceil(output / included))."""

    counted_input: int
    included_input: int
    input_units: int
    output: int
    included_output: int
    output_units: int


@dataclass(frozen=True)
class ReceiptView:
    id: str
    request_id: str
    issued_at: datetime
    model: str
    model_name: str
    provider: str
    source: str
    key_id: str | None
    key_name: str | None
    usage: dict[str, int]
    units: int
    working: UnitsWorking | None
    rate: int
    sheet_version: int
    credits_charged: int
    grants: list[GrantPaid]
    outcome: str | None
    signature: str
    verified: bool
    document: str

    @property
    def full_price(self) -> int:
        return self.units * self.rate


def document(payload: dict[str, Any], signature: str) -> str:
    return json.dumps(
        {"payload": payload, "signature": signature, "signature_algorithm": ALGORITHM},
        indent=2,
        sort_keys=True,
        ensure_ascii=False,
    )


def verify_document(secret: str, text: str) -> bool:
    """Whether a receipt document (as downloaded from the receipt page) carries a valid
    signature. A document that is not one is an ``InvalidInput``, not a failed check."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidInput("that is too long to be a receipt", field="receipt")
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(
            "paste the receipt exactly as downloaded (it is JSON)", field="receipt"
        ) from exc
    payload = parsed.get("payload") if isinstance(parsed, dict) else None
    signature = parsed.get("signature") if isinstance(parsed, dict) else None
    if not isinstance(payload, dict) or not isinstance(signature, str):
        raise InvalidInput(
            'a receipt has a "payload" object and a "signature" string', field="receipt"
        )
    return receipts.verify(secret, payload, signature)


def _working(payload: dict[str, Any], model: Any) -> UnitsWorking | None:
    if model is None:
        return None
    usage = payload.get("usage") or {}
    counted = sum(
        int(usage.get(name) or 0)
        for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    output = int(usage.get("output_tokens") or 0)
    return UnitsWorking(
        counted_input=counted,
        included_input=model.included_input_tokens,
        input_units=ceil_div(counted, model.included_input_tokens),
        output=output,
        included_output=model.included_output_tokens,
        output_units=ceil_div(output, model.included_output_tokens),
    )


class ReceiptService:
    def __init__(self, session: AsyncSession, clock: Clock, secret: str) -> None:
        self.session = session
        self.clock = clock
        self.secret = secret

    async def view(self, account_id: str, receipt_id: str) -> ReceiptView:
        repo = UsageReportRepository(self.session)
        row = await repo.receipt(account_id, receipt_id)
        if row is None:
            raise NotFound("no such receipt")
        p = row.payload
        sheet_version = int(p.get("sheet_version") or 0)
        try:
            sheet = await PlanService(self.session, self.clock).sheet(sheet_version)
            model = sheet.models.get(str(p.get("model")))
        except NoPriceSheet:
            model = None
        grants = {g.id: g for g in await LedgerService(self.session, self.clock).grants(account_id)}
        key_id = p.get("key_id")
        key_name = None
        if key_id:
            keys = await ApiKeyService(self.session, self.clock).list_keys(account_id)
            key_name = next((k.name for k in keys if k.id == key_id), None)
        request_id = str(p.get("request_id") or row.request_id)
        record = await repo.record(account_id, request_id)
        issued = p.get("issued_at")
        return ReceiptView(
            id=row.id,
            request_id=request_id,
            issued_at=datetime.fromisoformat(issued) if issued else row.created_at,
            model=str(p.get("model")),
            model_name=model.display_name if model else str(p.get("model")),
            provider=p.get("provider", ""),
            source=p.get("source") or ("api" if key_id else "web"),
            key_id=key_id,
            key_name=key_name,
            usage={k: int(v or 0) for k, v in (p.get("usage") or {}).items()},
            units=int(p.get("units") or 0),
            working=_working(p, model),
            rate=int(p.get("rate") or 0),
            sheet_version=sheet_version,
            credits_charged=int(p.get("credits_charged") or 0),
            grants=[
                GrantPaid(
                    d["grant_id"],
                    grants[d["grant_id"]].kind if d["grant_id"] in grants else None,
                    grants[d["grant_id"]].expires_at if d["grant_id"] in grants else None,
                    int(d["credits"]),
                )
                for d in p.get("grants_debited", [])
            ],
            outcome=record.outcome if record else None,
            signature=row.signature,
            verified=receipts.verify(self.secret, p, row.signature),
            document=document(p, row.signature),
        )

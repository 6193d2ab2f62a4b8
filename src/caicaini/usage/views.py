"""Usage records and receipts as plain JSON values (the API, the data export)."""

from __future__ import annotations

from typing import Any

from caicaini.models.usage import UsageRecord


def usage_item(r: UsageRecord, receipt_id: str | None) -> dict[str, Any]:
    return {
        "request_id": r.id,
        "created_at": r.created_at.isoformat(),
        "key_id": r.key_id,
        "model": r.model,
        "provider": r.provider,
        "endpoint": r.endpoint,
        "stream": r.stream,
        "outcome": r.outcome,
        "usage": {
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "cache_creation_input_tokens": r.cache_creation_input_tokens,
            "cache_read_input_tokens": r.cache_read_input_tokens,
        },
        "units": r.units,
        "rate": r.rate,
        "sheet_version": r.sheet_version,
        "credits_charged": r.credits_charged,
        "receipt_id": receipt_id,
    }

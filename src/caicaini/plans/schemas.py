"""The published catalogue as JSON (``GET /api/v1/pricing`` and ``caicaini plans list --json``)."""

from __future__ import annotations

from typing import Any

from caicaini.plans.views import PriceSheetView

MESSAGE_DEFINITION = (
    "A message is one model call. It costs rate x units credits, where units = max(1, "
    "ceil(input_tokens / included_input_tokens), ceil(output_tokens / included_output_tokens)) "
    "with the included token sizes of the model below."
)

FAIRNESS = [
    "A call that fails before the model produced output costs nothing.",
    "A stream cut by the client costs what the model produced.",
    "An upstream error mid-stream costs what was delivered.",
    "Nothing ever costs more than the credits reserved for it before the call.",
]


def pricing_document(sheet: PriceSheetView) -> dict[str, Any]:
    return {
        "sheet_version": sheet.version,
        "effective_at": sheet.effective_at.isoformat() if sheet.effective_at else None,
        "message_definition": MESSAGE_DEFINITION,
        "fairness": FAIRNESS,
        "plans": [
            {
                "name": p.name,
                "display_name": p.display_name,
                "price_usd": str(p.price_usd),
                "monthly_credits": p.monthly_credits,
                "api_keys": p.api_keys,
                "limits": {
                    "requests_per_minute": p.rpm,
                    "concurrent_requests": p.concurrency,
                    "messages_per_day": p.messages_per_day,
                },
                "rates": [
                    {"model": model_id, "credits_per_unit": rate}
                    for model_id, rate in sorted(p.rates.items())
                ],
            }
            for p in sorted(sheet.plans.values(), key=lambda p: (p.price_usd, p.name))
        ],
        "models": [
            {
                "id": m.id,
                "display_name": m.display_name,
                "provider": m.provider,
                "max_output_tokens": m.max_output_tokens,
                "included_input_tokens": m.included_input_tokens,
                "included_output_tokens": m.included_output_tokens,
            }
            for m in sorted(sheet.models.values(), key=lambda m: m.id)
        ],
        "topups": [
            {"name": t.name, "price_usd": str(t.price_usd), "credits": t.credits}
            for t in sorted(sheet.topups.values(), key=lambda t: t.price_usd)
        ],
        "products": [f"plan:{p}" for p in sorted(sheet.plans) if p != "free"]
        + [f"topup:{t}" for t in sorted(sheet.topups)],
    }

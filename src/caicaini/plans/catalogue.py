"""The default catalogue (``catalogue.toml``) and its conversion to a sheet draft."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from typing import Any

from caicaini.plans.views import ModelView, PlanView, PriceSheetView, TopupView

FREE_PLAN = "free"


def default_catalogue() -> PriceSheetView:
    """The catalogue of ARCHITECTURE §9 as an unpublished sheet (version 0)."""
    text = resources.files("caicaini.plans").joinpath("catalogue.toml").read_text("utf-8")
    return sheet_from_dict(tomllib.loads(text))


def sheet_from_dict(data: dict[str, Any], *, version: int = 0) -> PriceSheetView:
    models = {model_id: ModelView(id=model_id, **spec) for model_id, spec in data["models"].items()}
    plans = {
        name: PlanView(
            name=name,
            display_name=spec["display_name"],
            price_usd=Decimal(spec["price_usd"]),
            monthly_credits=int(spec["monthly_credits"]),
            api_keys=bool(spec["api_keys"]),
            rpm=int(spec["rpm"]),
            concurrency=int(spec["concurrency"]),
            messages_per_day=int(spec["messages_per_day"]),
            rates={m: int(r) for m, r in spec["rates"].items()},
        )
        for name, spec in data["plans"].items()
    }
    topups = {
        name: TopupView(
            name=name, price_usd=Decimal(spec["price_usd"]), credits=int(spec["credits"])
        )
        for name, spec in data.get("topups", {}).items()
    }
    return PriceSheetView(
        version=version,
        effective_at=None,
        plans=plans,
        topups=topups,
        models=models,
        summary=str(data.get("summary", "")),
    )

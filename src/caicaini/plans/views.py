"""Read-only views of a price sheet, handed to every other domain (immutable, plain values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from caicaini.plans.products import product_label


@dataclass(frozen=True)
class ModelView:
    id: str
    display_name: str
    provider: str
    upstream_model: str
    max_output_tokens: int
    included_input_tokens: int
    included_output_tokens: int


@dataclass(frozen=True)
class PlanView:
    name: str
    price_usd: Decimal
    monthly_credits: int
    api_keys: bool
    rpm: int
    concurrency: int
    messages_per_day: int
    rates: dict[str, int] = field(default_factory=dict)
    display_name: str = ""

    @property
    def product(self) -> str:
        return f"plan:{self.name}"

    @property
    def label(self) -> str:
        """One month of the plan, as a product: "Plus plan, one month"."""
        return product_label(self.product, self.monthly_credits, self.display_name)


@dataclass(frozen=True)
class TopupView:
    name: str
    price_usd: Decimal
    credits: int

    @property
    def product(self) -> str:
        return f"topup:{self.name}"

    @property
    def label(self) -> str:
        return product_label(self.product, self.credits)


@dataclass(frozen=True)
class PriceSheetView:
    version: int
    effective_at: datetime | None
    plans: dict[str, PlanView]
    topups: dict[str, TopupView]
    models: dict[str, ModelView]
    summary: str = ""


@dataclass(frozen=True)
class ProductView:
    name: str
    kind: str
    price_usd: Decimal
    credits: int
    sheet_version: int
    label: str


@dataclass(frozen=True)
class AccountTerms:
    plan: PlanView
    sheet_version: int


@dataclass(frozen=True)
class ModelRate:
    model: ModelView
    credits_per_unit: int
    plan: PlanView
    sheet_version: int


@dataclass(frozen=True)
class Price:
    units: int
    credits: int

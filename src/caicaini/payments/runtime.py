"""The payment provider for this process, kept in ``ctx.extras`` (start-up hook, jobs, CLI)."""

from __future__ import annotations

from caicaini.context import AppContext
from caicaini.payments.nowpayments import PaymentProvider, build_provider

PROVIDER_KEY = "payments.provider"
FAKE_KEY = "payments.fake_nowpayments"


def provider_for(ctx: AppContext) -> PaymentProvider:
    existing: PaymentProvider | None = ctx.extras.get(PROVIDER_KEY)
    if existing is not None:
        return existing
    provider, fake = build_provider(ctx.settings)
    ctx.extras[PROVIDER_KEY] = provider
    if fake is not None:
        ctx.extras[FAKE_KEY] = fake
    return provider


async def startup(ctx: AppContext) -> None:
    provider_for(ctx)

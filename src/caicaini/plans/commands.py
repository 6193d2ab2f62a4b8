"""``caicaini plans list [--json]``: the price sheet in effect."""

from __future__ import annotations

import json

import typer

from caicaini.context import AppContext
from caicaini.plans.schemas import pricing_document
from caicaini.plans.service import PlanService
from caicaini.plans.views import PriceSheetView

app = typer.Typer(help="Plans and the rate card.", no_args_is_help=True)


@app.command("list")
def list_plans(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the plans, rates, models and top-up packs in effect now."""
    from caicaini.cli import run_with_context

    async def work(ctx: AppContext) -> PriceSheetView:
        async with ctx.transaction() as session:
            return await PlanService(session, ctx.clock).current_sheet()

    sheet = run_with_context(work)
    if as_json:
        typer.echo(json.dumps(pricing_document(sheet), indent=2))
        return
    typer.echo(f"price sheet version {sheet.version}")
    for plan in sorted(sheet.plans.values(), key=lambda p: p.price_usd):
        keys = "API keys" if plan.api_keys else "web only"
        typer.echo(
            f"  {plan.name:<6} ${plan.price_usd}/month  {plan.monthly_credits} credits  {keys}  "
            f"{plan.rpm} rpm  {plan.concurrency} concurrent  {plan.messages_per_day}/day"
        )
        for model_id, rate in sorted(plan.rates.items()):
            typer.echo(f"           {model_id:<20} {rate} credits/unit")
    for pack in sorted(sheet.topups.values(), key=lambda t: t.price_usd):
        typer.echo(f"  topup:{pack.name:<7} ${pack.price_usd} -> {pack.credits} credits")

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


@app.command()
def schedule(
    sheet_file: str = typer.Argument(..., help="A TOML price sheet (format of catalogue.toml)."),
    effective_at: str = typer.Option(
        ..., "--effective-at", help="ISO time, e.g. 2026-12-10T00:00Z"
    ),
) -> None:
    """Publish a new price-sheet version taking effect at --effective-at (reductions need
    7 days' notice; affected subscribers are e-mailed and get a dashboard notice)."""
    import tomllib
    from datetime import datetime
    from pathlib import Path

    from caicaini.audit.service import Actor
    from caicaini.cli import run_with_context
    from caicaini.kit.clock import as_utc
    from caicaini.plans.catalogue import sheet_from_dict
    from caicaini.plans.changes import PriceChangeService, ScheduledChange

    sheet = sheet_from_dict(tomllib.loads(Path(sheet_file).read_text("utf-8")))
    when = as_utc(datetime.fromisoformat(effective_at.replace("Z", "+00:00")))

    async def work(ctx: AppContext) -> ScheduledChange:
        async with ctx.transaction() as session:
            changes = PriceChangeService(session, ctx.clock, ctx.settings.public_url)
            return await changes.schedule(sheet, effective_at=when, actor=Actor("operator"))

    change = run_with_context(work)
    kind = "reducing" if change.reducing else "non-reducing"
    typer.echo(
        f"version {change.version} ({kind}) takes effect at {change.effective_at.isoformat()}; "
        f"{change.notified} account(s) notified"
    )

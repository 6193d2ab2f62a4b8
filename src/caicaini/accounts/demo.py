"""``caicaini demo seed``: the demo operator and customer that ``make run`` prints.

Idempotent: existing accounts are left as they are; the customer gets a complimentary
``pro`` period when subscriptions are available and it has none running.
"""

from __future__ import annotations

import importlib.util

import typer

from caicaini.accounts.commands import create_user, start_complimentary
from caicaini.accounts.service import AccountService
from caicaini.context import AppContext

app = typer.Typer(help="Demo data for local runs.", no_args_is_help=True)

OPERATOR = ("operator@caicaini.local", "operator-demo-pass")
CUSTOMER = ("customer@caicaini.local", "customer-demo-pass")
CUSTOMER_PLAN = "pro"


async def seed(ctx: AppContext) -> list[str]:
    """Create what is missing; return notes about what could not be done."""
    notes: list[str] = []
    for (email, password), is_operator in ((OPERATOR, True), (CUSTOMER, False)):
        async with ctx.transaction() as session:
            existing = await AccountService(session, ctx.clock, ctx.settings).by_email(email)
        if existing is None:
            await create_user(ctx, email=email, password=password, operator=is_operator)
    if importlib.util.find_spec("caicaini.subscriptions.service") is None:
        notes.append(f"plans are not available yet: {CUSTOMER[0]} stays on the free plan")
        return notes
    from caicaini.subscriptions.service import SubscriptionService

    async with ctx.transaction() as session:
        customer = await AccountService(session, ctx.clock, ctx.settings).by_email(CUSTOMER[0])
        assert customer is not None
        if await SubscriptionService(session, ctx.clock).current_period(customer.id) is None:
            await start_complimentary(session, ctx, customer.id, CUSTOMER_PLAN)
    return notes


@app.command("seed")
def seed_command() -> None:
    """Create the demo operator and customer (idempotent) and print how to log in."""
    from caicaini.cli import run_with_context

    notes = run_with_context(seed)
    # No URL here: the server prints it when it starts (``caicaini serve`` knows its port).
    typer.echo("")
    typer.echo("Demo accounts:")
    typer.echo(f"  operator: {OPERATOR[0]} / {OPERATOR[1]}   (the console at /console)")
    typer.echo(f"  customer: {CUSTOMER[0]} / {CUSTOMER[1]}   (plan: {CUSTOMER_PLAN})")
    for note in notes:
        typer.echo(f"  note: {note}")
    typer.echo("")

"""``caicaini users create``: an operator creates a verified, active account by hand."""

from __future__ import annotations

import importlib.util
from datetime import date

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import policy
from caicaini.accounts.service import AccountService
from caicaini.audit.service import Actor, AuditService
from caicaini.context import AppContext
from caicaini.errors import Conflict, InvalidInput
from caicaini.models.accounts import Account

app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)


async def create_user(
    ctx: AppContext,
    *,
    email: str,
    password: str,
    plan: str | None = None,
    operator: bool = False,
    date_of_birth: date = date(1970, 1, 1),
    country: str = "US",
) -> Account:
    """Create a verified, active account (audited) and, for a paid plan, a complimentary
    subscription period in the same transaction."""
    async with ctx.transaction() as session:
        service = AccountService(session, ctx.clock, ctx.settings)
        address = service.normalise_email(email)
        policy.check_minimum_length(password)
        country = policy.normalise_country(country)
        if await service.by_email(address) is not None:
            raise Conflict(f"an account with e-mail {address} already exists")
        account = await service.create(
            email=address,
            password=password,
            date_of_birth=date_of_birth,
            country=country,
            verified=True,
            is_operator=operator,
        )
        await AuditService(session, ctx.clock).record(
            "account.signed_up",
            actor=Actor("operator"),
            target_type="account",
            target_id=account.id,
            subject_account_id=account.id,
            details={"via": "cli", "is_operator": operator},
            personal={"email": address},
        )
        if plan and plan != "free":
            await start_complimentary(session, ctx, account.id, plan)
        return account


async def start_complimentary(
    session: AsyncSession, ctx: AppContext, account_id: str, plan: str
) -> None:
    if importlib.util.find_spec("caicaini.subscriptions.service") is None:
        raise InvalidInput(
            f"cannot start plan {plan!r}: subscriptions are not available in this build"
        )
    from caicaini.subscriptions.service import SubscriptionService

    await SubscriptionService(session, ctx.clock).start_complimentary(
        account_id, plan, actor=Actor("operator")
    )


@app.command()
def create(
    email: str = typer.Option(..., "--email", help="E-mail address (becomes verified)."),
    password: str = typer.Option(..., "--password", help="Password, at least 10 characters."),
    plan: str = typer.Option(None, "--plan", help="Start a complimentary period on this plan."),
    operator: bool = typer.Option(False, "--operator", help="Give operator rights."),
    date_of_birth: str = typer.Option("1970-01-01", "--date-of-birth", help="YYYY-MM-DD."),
    country: str = typer.Option("US", "--country", help="ISO 3166 alpha-2 country code."),
) -> None:
    """Create a verified, active account and print its id."""
    from caicaini.cli import fail, run_with_context

    try:
        born = date.fromisoformat(date_of_birth)
    except ValueError:
        fail("--date-of-birth must look like 1990-05-17")
        return

    async def work(ctx: AppContext) -> str:
        account = await create_user(
            ctx,
            email=email,
            password=password,
            plan=plan,
            operator=operator,
            date_of_birth=born,
            country=country,
        )
        return account.id

    typer.echo(run_with_context(work))

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
    role: str | None = None,
    date_of_birth: date = date(1970, 1, 1),
    country: str = "US",
) -> Account:
    """Create a verified, active account (audited) and, for a paid plan, a complimentary
    subscription period in the same transaction. A ``role`` (support or admin, see
    ``accounts.roles``) makes an operator with that role."""
    from caicaini.accounts.roles import check_role

    role = check_role(role) if role else None
    operator = operator or role is not None
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
        account.operator_role = role
        await AuditService(session, ctx.clock).record(
            "account.signed_up",
            actor=Actor("operator"),
            target_type="account",
            target_id=account.id,
            subject_account_id=account.id,
            details={"via": "cli", "is_operator": operator, "role": role},
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
    operator: bool = typer.Option(False, "--operator", help="Give operator rights (admin)."),
    role: str = typer.Option(
        None,
        "--role",
        help="Console role: support (reads, adds notes) or admin (implies --operator).",
    ),
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
            role=role,
            date_of_birth=born,
            country=country,
        )
        return account.id

    typer.echo(run_with_context(work))


# -- operator actions (ARCHITECTURE §9): suspend, ban, reinstate, forfeit ----------------------
STATUS_COMMANDS = {"suspend": "suspended", "ban": "banned", "reinstate": "active"}
CLI_ACTOR = Actor("operator")


async def change_status(ctx: AppContext, action: str, email: str, reason: str) -> str:
    """Suspend, ban or reinstate through ``ModerationService`` (what the console uses: audited,
    the user e-mailed); with Redis configured the disabled keys are evicted from every
    server's cache at once."""
    from caicaini.accounts.moderation import ModerationService, require_reason
    from caicaini.api_keys.startup import open_channel

    require_reason(reason)
    await open_channel(ctx, listen=False)
    async with ctx.transaction() as session:
        service = ModerationService(session, ctx.clock, ctx.settings)
        account = await service.by_email(email)
        outcome = await service.set_status(action, account.id, reason=reason, actor=CLI_ACTOR)
    target = STATUS_COMMANDS[action]
    if not outcome.changed:
        return f"{account.email} is already {target}: nothing changed"
    return f"{account.email} is now {target}"


async def forfeit_credits(ctx: AppContext, email: str, reason: str) -> str:
    """Forfeit every unspent credit for a severe violation (``ModerationService.forfeit``:
    audited, the user e-mailed)."""
    from caicaini.accounts.moderation import ModerationService, require_reason

    require_reason(reason)
    async with ctx.transaction() as session:
        service = ModerationService(session, ctx.clock, ctx.settings)
        account = await service.by_email(email)
        outcome = await service.forfeit(account.id, reason=reason, actor=CLI_ACTOR)
    return f"{outcome.credits} credits of {account.email} forfeited"


def _status_command(action: str) -> None:
    def command(
        email: str = typer.Option(..., "--email", help="The account's e-mail address."),
        reason: str = typer.Option(..., "--reason", help="Shown to the user and audited."),
    ) -> None:
        from caicaini.cli import run_with_context

        typer.echo(run_with_context(lambda ctx: change_status(ctx, action, email, reason)))

    command.__doc__ = {
        "suspend": "Suspend an account: keys stop at once, the user is e-mailed (audited).",
        "ban": "Ban an account for good: keys stop at once, the user is e-mailed (audited).",
        "reinstate": "Make a suspended or banned account active again (audited, e-mailed).",
    }[action]
    app.command(action)(command)


for _action in STATUS_COMMANDS:
    _status_command(_action)


@app.command()
def forfeit(
    email: str = typer.Option(..., "--email", help="The account's e-mail address."),
    reason: str = typer.Option(..., "--reason", help="Shown to the user and audited."),
) -> None:
    """Forfeit every unspent credit of an account (severe violations; audited, e-mailed)."""
    from caicaini.cli import run_with_context

    typer.echo(run_with_context(lambda ctx: forfeit_credits(ctx, email, reason)))

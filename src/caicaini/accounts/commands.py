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


# -- operator actions (ARCHITECTURE §9): suspend, ban, reinstate, forfeit ----------------------
STATUS_COMMANDS = {"suspend": "suspended", "ban": "banned", "reinstate": "active"}
CLI_ACTOR = Actor("operator")


async def _account_by_email(session: AsyncSession, ctx: AppContext, email: str) -> Account:
    from caicaini.errors import NotFound

    service = AccountService(session, ctx.clock, ctx.settings)
    account = await service.by_email(service.normalise_email(email))
    if account is None:
        raise NotFound(f"no account with e-mail {email.strip()}")
    return account


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("give a reason: the user is told and the audit log records it")
    return text


async def change_status(ctx: AppContext, action: str, email: str, reason: str) -> str:
    """Suspend, ban or reinstate (audited, the user e-mailed); with Redis configured the
    disabled keys are evicted from every server's cache at once."""
    from caicaini.accounts.closure import ClosureService
    from caicaini.api_keys.startup import open_channel

    text = _reason(reason)
    await open_channel(ctx, listen=False)
    async with ctx.transaction() as session:
        account = await _account_by_email(session, ctx, email)
        before = account.status
        target = STATUS_COMMANDS[action]
        await ClosureService(session, ctx.clock, ctx.settings).set_status(
            account.id, target, text, CLI_ACTOR
        )
    if before == target:
        return f"{account.email} is already {target}: nothing changed"
    return f"{account.email} is now {target}"


async def forfeit_credits(ctx: AppContext, email: str, reason: str) -> str:
    """Forfeit every unspent credit for a severe violation (audited, the user e-mailed)."""
    from caicaini.errors import Conflict
    from caicaini.kit.ids import new_id
    from caicaini.ledger.service import LedgerService
    from caicaini.mail.service import MailService

    text = _reason(reason)
    async with ctx.transaction() as session:
        account = await _account_by_email(session, ctx, email)
        if account.status == "closed":
            raise Conflict("a closed account's credits were already forfeited")
        credits = await LedgerService(session, ctx.clock).forfeit_all(
            account.id, reason=text, idempotency_key=new_id("forfeit"), actor=CLI_ACTOR
        )
        await MailService(session, ctx.clock, ctx.settings.public_url).send(
            account.email,
            "notice",
            {
                "subject": "Credits on your Caicaini account were forfeited",
                "body": f"{credits:,} unspent credits were removed from your account under "
                f"the Terms of Service.\n\nReason: {text}",
            },
            account_id=account.id,
        )
    return f"{credits} credits of {account.email} forfeited"


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

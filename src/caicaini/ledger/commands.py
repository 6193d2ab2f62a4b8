"""``caicaini credits grant|show``: operator credit adjustments and balances by grant."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import typer

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import NotFound
from caicaini.kit.clock import as_utc
from caicaini.ledger.repository import account_id_by_email
from caicaini.ledger.service import LedgerService
from caicaini.ledger.views import Grant

app = typer.Typer(help="Credits: adjust and inspect balances.", no_args_is_help=True)


async def _account(ctx: AppContext, session: Any, email: str) -> str:
    account_id = await account_id_by_email(session, email)
    if account_id is None:
        raise NotFound(f"no account with e-mail {email}")
    return account_id


@app.command()
def grant(
    email: str = typer.Option(..., "--email", help="The account's e-mail address."),
    amount: int = typer.Option(..., "--amount", help="Credits (negative to take credits out)."),
    reason: str = typer.Option(..., "--reason", help="Why (mandatory, audited)."),
    expires_at: str = typer.Option(None, "--expires-at", help="ISO time the credits expire."),
) -> None:
    """Adjust an account's credits (an audited operator adjustment; the owner is notified)."""
    from caicaini.cli import fail, run_with_context

    if not reason.strip():
        fail("--reason must say why")
    expiry = as_utc(datetime.fromisoformat(expires_at)) if expires_at else None

    async def work(ctx: AppContext) -> int:
        from caicaini.notices.adjustments import adjust_credits

        async with ctx.transaction() as session:
            account_id = await _account(ctx, session, email)
            await adjust_credits(
                session,
                ctx.clock,
                ctx.settings.public_url,
                account_id,
                amount,
                reason=reason,
                idempotency_key=f"cli-adjust:{uuid.uuid4()}",
                expires_at=expiry,
                actor=Actor("operator", None),
            )
            return await LedgerService(session, ctx.clock).balance(account_id)

    balance = run_with_context(work)
    typer.echo(f"adjusted {amount:+d} credits; balance now {balance}")


def grant_json(g: Grant) -> dict[str, Any]:
    return {
        "id": g.id,
        "kind": g.kind,
        "amount": g.amount,
        "remaining": g.remaining,
        "status": g.status,
        "active": g.active,
        "issued_at": g.issued_at.isoformat(),
        "expires_at": g.expires_at.isoformat() if g.expires_at else None,
        "source_ref": g.source_ref,
    }


@app.command()
def show(
    email: str = typer.Option(..., "--email", help="The account's e-mail address."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the balance available now and each live grant (in spending order) with its expiry."""
    from caicaini.cli import run_with_context

    async def work(ctx: AppContext) -> tuple[int, list[Grant]]:
        async with ctx.transaction() as session:
            account_id = await _account(ctx, session, email)
            ledger = LedgerService(session, ctx.clock)
            grants = [g for g in await ledger.grants(account_id) if g.active]
            return await ledger.balance(account_id), grants

    balance, grants = run_with_context(work)
    if as_json:
        typer.echo(json.dumps({"balance": balance, "grants": [grant_json(g) for g in grants]}))
        return
    typer.echo(f"balance: {balance} credits")
    for g in grants:
        expiry = g.expires_at.isoformat() if g.expires_at else "never"
        typer.echo(
            f"  {g.id}  {g.kind:<12} {g.remaining:>8} of {g.amount:<8} {g.status:<9} "
            f"expires {expiry}"
        )

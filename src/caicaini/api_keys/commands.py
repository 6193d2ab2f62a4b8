"""``caicaini keys create``: issue a key from the command line (prints only the key)."""

from __future__ import annotations

from typing import Any

import typer

from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor
from caicaini.context import AppContext

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@app.command("create")
def create(
    email: str = typer.Option(..., help="Owner's e-mail address."),
    name: str = typer.Option("default", help="A name to recognise the key by."),
    rpm: int | None = typer.Option(None, help="Operator override: requests per minute."),
    concurrency: int | None = typer.Option(None, help="Operator override: concurrent requests."),
) -> None:
    """Create a key and print it once, alone on stdout."""
    from caicaini.accounts.repository import AccountRepository
    from caicaini.cli import fail, run_with_context

    async def work(ctx: AppContext) -> str | None:
        async with ctx.transaction() as session:
            accounts = AccountRepository(session)
            account: Any = await accounts.by_email(email.strip())
            if account is None:
                account = await accounts.by_email(email.strip().lower())
            if account is None:
                return None
            options = KeyOptions(name=name, rpm_override=rpm, concurrency_override=concurrency)
            _key, secret = await ApiKeyService(session, ctx.clock).create(
                account.id, options, actor=Actor("operator", None)
            )
            return secret

    secret = run_with_context(work)
    if secret is None:
        fail(f"no account with e-mail {email}")
    typer.echo(secret)

"""``caicaini ledger verify``: check every ledger invariant; exit 1 naming each break."""

from __future__ import annotations

import typer

from caicaini.context import AppContext
from caicaini.ledger.verify import verify_ledger

app = typer.Typer(help="Inspect the credit ledger.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Verify the ledger's invariants (see caicaini.ledger.verify)."""
    from caicaini.cli import run_with_context

    async def work(ctx: AppContext) -> list[str]:
        async with ctx.transaction() as session:
            return await verify_ledger(session, ctx.clock.now())

    problems = run_with_context(work)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        typer.echo(f"ledger BROKEN: {len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo("ledger balanced: every invariant holds")

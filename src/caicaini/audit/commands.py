"""``caicaini audit verify``: walk the hash chain and report any break."""

from __future__ import annotations

import typer

from caicaini.audit.service import AuditService
from caicaini.context import AppContext

app = typer.Typer(help="Inspect the audit log.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Verify the audit log's hash chain; exit 1 if any row was altered."""
    from caicaini.cli import run_with_context

    async def work(ctx: AppContext) -> list[str]:
        async with ctx.transaction() as session:
            return await AuditService(session, ctx.clock).verify()

    problems = run_with_context(work)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        typer.echo(f"audit chain BROKEN: {len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo("audit chain intact")

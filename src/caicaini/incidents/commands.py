"""``caicaini incidents declare|reconcile`` (a stable interface: ARCHITECTURE §9)."""

from __future__ import annotations

import typer

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.incidents.service import IncidentService, Reconciliation, parse_time

app = typer.Typer(
    help="Provider incidents and the credits returned for them.", no_args_is_help=True
)

CLI_ACTOR = Actor("operator")


@app.command()
def declare(
    provider: str = typer.Option(..., "--provider", help="anthropic, moonshot or demo."),
    start: str = typer.Option(..., "--start", help="ISO time the incident began (UTC)."),
    end: str = typer.Option(None, "--end", help="ISO time it ended; omit while it lasts."),
    title: str = typer.Option(..., "--title", help="Shown on the status page."),
) -> None:
    """Declare an incident (shown on /status) and print its id."""
    from caicaini.cli import run_with_context

    async def work(ctx: AppContext) -> str:
        starts_at = parse_time(start, "--start")
        ends_at = parse_time(end, "--end") if end else None
        async with ctx.transaction() as session:
            incident = await IncidentService(session, ctx.clock, ctx.settings.public_url).declare(
                provider=provider, title=title, starts_at=starts_at, ends_at=ends_at,
                actor=CLI_ACTOR,
            )  # fmt: skip
            return incident.id

    typer.echo(run_with_context(work))


@app.command()
def reconcile(
    incident_id: str = typer.Argument(..., help="The id printed by `incidents declare`."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be returned."),
) -> None:
    """Return the credits of the messages that failed or were cut in the incident's window,
    once: a second run finds nothing more."""
    from caicaini.cli import run_with_context

    async def work(ctx: AppContext) -> Reconciliation:
        async with ctx.transaction() as session:
            service = IncidentService(session, ctx.clock, ctx.settings.public_url)
            if dry_run:
                return await service.preview(incident_id)
            return await service.reconcile(incident_id, actor=CLI_ACTOR)

    run = run_with_context(work)
    for entry in run.accounts:
        typer.echo(f"{entry.email}\t{len(entry.messages)} message(s)\t{entry.credits} credits")
    verb = "would return" if dry_run else "returned"
    typer.echo(
        f"{verb} {run.credits} credits for {run.messages} message(s) "
        f"to {len(run.accounts)} account(s)"
    )

"""The operator and server command line, ``caicaini`` (a stable interface: ARCHITECTURE §9).

Each domain adds its command group in ``<domain>/commands.py`` (a Typer app named ``app``)
listed in ``COMMAND_GROUPS``. Every command exits non-zero with a one-line message on error.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

import typer

from caicaini import errors
from caicaini.config import DEFAULT_HOST, DEFAULT_PORT, Settings, served_url
from caicaini.context import AppContext
from caicaini.logs import configure_logging

T = TypeVar("T")

app = typer.Typer(help="Caicaini: serve, operate and inspect the service.", no_args_is_help=True)

# (group name, module holding a Typer ``app``)
COMMAND_GROUPS: list[tuple[str, str]] = [
    ("audit", "caicaini.audit.commands"),
    ("credits", "caicaini.ledger.commands"),
    ("ledger", "caicaini.ledger.ledger_commands"),
    ("plans", "caicaini.plans.commands"),
    ("orders", "caicaini.payments.order_commands"),
    ("payments", "caicaini.payments.commands"),
    ("keys", "caicaini.api_keys.commands"),
    ("users", "caicaini.accounts.commands"),
    ("incidents", "caicaini.incidents.commands"),
    ("demo", "caicaini.accounts.demo"),
]

# Run after migrations: ``async def after_migrate(ctx)`` (e.g. install the default catalogue).
POST_MIGRATE_HOOKS: list[str] = [
    "caicaini.plans.hooks",
    "caicaini.notices.hooks",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run_with_context(work: Callable[[AppContext], Awaitable[T]]) -> T:
    """Run ``work(ctx)`` on a fresh context; domain errors become a clean exit 1."""

    async def main() -> T:
        ctx = AppContext.from_settings(load_settings())
        try:
            return await work(ctx)
        finally:
            await ctx.close()

    try:
        return asyncio.run(main())
    except errors.DomainError as exc:
        fail(exc.message)
        raise  # unreachable: fail() exits


def load_settings() -> Settings:
    """Settings from the environment; logs go to stderr so stdout carries only results."""
    try:
        settings = Settings()
    except ValueError as exc:
        fail(str(exc))
        raise
    configure_logging(settings.log_level, json=settings.log_json)
    return settings


def alembic_config(settings: Settings) -> Any:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    return config


def migrate_database(settings: Settings) -> None:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up lines are noise here
    from alembic import command

    command.upgrade(alembic_config(settings), "head")

    async def hooks(ctx: AppContext) -> None:
        for name in POST_MIGRATE_HOOKS:
            await import_module(name).after_migrate(ctx)

    run_with_context(hooks)


@app.command()
def migrate() -> None:
    """Bring the schema up to date (and install the default catalogue on an empty database)."""
    migrate_database(load_settings())
    typer.echo("database is up to date")


@app.command()
def serve(
    host: str = typer.Option(DEFAULT_HOST, help="Address to bind."),
    port: int = typer.Option(DEFAULT_PORT, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the web application, the API gateway and (embedded default) the jobs."""
    import os

    import uvicorn

    # Links in pages and e-mails, and the payment redirects, go where this server listens
    # unless the operator says otherwise. Set in the environment, so every worker sees it.
    if not os.environ.get("CAICAINI_PUBLIC_URL"):
        os.environ["CAICAINI_PUBLIC_URL"] = served_url(host, port)
    settings = load_settings()
    url = settings.public_url.rstrip("/")
    typer.echo(f"Caicaini is serving at {url}  (listening on {host}:{port})")
    typer.echo(f"  console: {url}/console   pricing: {url}/pricing")
    if settings.env != "production":
        typer.echo(f"  mails in development: {url}/dev/mail")
    uvicorn.run(
        "caicaini.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=10,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default; the application
        # believes it only from CAICAINI_TRUSTED_PROXIES (``caicaini.main``).
        proxy_headers=False,
    )


@app.command()
def worker() -> None:
    """Run the job scheduler alone (production: next to stateless web processes)."""
    import signal

    from caicaini.worker import registry
    from caicaini.worker.scheduler import Scheduler

    load_settings()

    async def main(ctx: AppContext) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # Keys the jobs revoke or disable (account closure, suspension) are evicted from the
        # servers' caches at once when Redis is configured.
        await import_module("caicaini.api_keys.startup").open_channel(ctx, listen=False)
        jobs, handlers = registry.collect()
        await Scheduler(ctx, jobs, handlers).run_forever(stop)

    run_with_context(main)


def _register_groups() -> None:
    for name, module in COMMAND_GROUPS:
        app.add_typer(import_module(module).app, name=name)


_register_groups()
app.command("fake-upstream")(import_module("caicaini.testing.commands").fake_upstream)
app.command("fake-nowpayments")(import_module("caicaini.payments.commands").fake_nowpayments)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

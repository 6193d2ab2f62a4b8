"""Alembic environment: runs migrations through the async engine for either database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import caicaini.models  # noqa: F401  (registers every table)
from caicaini.config import Settings
from caicaini.db import make_engine
from caicaini.models.base import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url


# Full-text search structures the ORM cannot describe (``caicaini.models.chat``): SQLite's
# FTS5 table and its shadow tables, PostgreSQL's expression indexes.
UNMODELLED = ("chat_search", "ix_chat_messages_search", "ix_chat_conversations_search")


def _modelled(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name and name.startswith(UNMODELLED))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_modelled,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())

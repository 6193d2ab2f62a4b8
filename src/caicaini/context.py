"""The application context: what every edge (HTTP, jobs, CLI) hands to services.

Built once per process from Settings. Holds the database, the clock and the pluggable
implementations of external systems (mailer, providers, payment processors) chosen by config.
Domain code takes what it needs from here as arguments; it never imports a global.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.capacity import database_pool_options
from caicaini.config import Settings
from caicaini.db import Database
from caicaini.kit.clock import Clock, SystemClock


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    # Slots later capabilities fill in at start-up (provider registry, rate limiter, ...).
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> AppContext:
        return cls(
            settings=settings,
            db=Database(settings.resolved_database_url, **database_pool_options(settings)),
            clock=clock or SystemClock(),
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.db.transaction() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A transaction that only reads (no write lock on SQLite)."""
        async with self.db.read() as session:
            yield session

    async def close(self) -> None:
        for extra in self.extras.values():
            closer = getattr(extra, "aclose", None)
            if closer is not None:
                await closer()
        await self.db.dispose()

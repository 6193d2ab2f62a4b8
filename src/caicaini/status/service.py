"""Health of each provider route over the last hour, from usage records.

A route is *degraded* when more than ``DEGRADED_ERROR_RATE`` of its calls in the window
failed upstream; with no calls it is reported operational with no data. Calls a client cut
short are not errors of the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.kit.clock import Clock
from caicaini.status.repository import HealthRepository

WINDOW = timedelta(hours=1)
DEGRADED_ERROR_RATE = 0.05
NOT_ERRORS = frozenset({"ok", "client_disconnect"})


@dataclass(frozen=True)
class RouteHealth:
    name: str
    label: str
    serves: tuple[str, ...]
    requests: int
    errors: int
    p50_ms: int | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def state(self) -> str:
        return "degraded" if self.error_rate > DEGRADED_ERROR_RATE else "operational"


class HealthService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.repo = HealthRepository(session)
        self.clock = clock

    async def routes(self, routes: list[tuple[str, str, tuple[str, ...]]]) -> list[RouteHealth]:
        """Health of ``routes`` given as (provider name, label, catalogue providers served)."""
        calls = await self.repo.recent_calls(self.clock.now() - WINDOW)
        out = []
        for name, label, serves in routes:
            mine = [(outcome, ms) for provider, outcome, ms in calls if provider == name]
            durations = [ms for _, ms in mine if ms > 0]
            out.append(
                RouteHealth(
                    name=name,
                    label=label,
                    serves=serves,
                    requests=len(mine),
                    errors=sum(1 for outcome, _ in mine if outcome not in NOT_ERRORS),
                    p50_ms=int(median(durations)) if durations else None,
                )
            )
        return out

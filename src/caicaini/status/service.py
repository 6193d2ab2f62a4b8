"""Health of each provider route over the last hour, from usage records.

A route is *degraded* when more than ``DEGRADED_ERROR_RATE`` of its calls in the window
failed upstream; with no calls it is reported operational with no data. Calls a client cut
short are not errors of the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median, quantiles
from typing import Any

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
    p95_ms: int | None = None

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
                    p95_ms=_p95(durations),
                )
            )
        return out


def _p95(durations: list[int]) -> int | None:
    if len(durations) < 2:
        return durations[0] if durations else None
    return int(quantiles(durations, n=20, method="inclusive")[-1])


PROVIDER_NAMES = {"anthropic": "Anthropic", "moonshot": "Moonshot AI"}


def routes_of(registry: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, label, catalogue providers served) for each distinct provider route of the
    gateway's registry (``ctx.extras["providers"]``)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for catalogue_provider, routes in sorted(getattr(registry, "routes", {}).items()):
        for provider in routes:
            _, serves = found.setdefault(provider.name, (provider.label, []))
            serves.append(PROVIDER_NAMES.get(catalogue_provider, catalogue_provider))
    return [(name, label, tuple(serves)) for name, (label, serves) in found.items()]

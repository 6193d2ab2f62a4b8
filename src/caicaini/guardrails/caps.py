"""Spend caps: the most credits an account, or one of its API keys, may spend in a day or a
calendar month (UTC).

What a cap counts is what was charged since the start of its period plus what requests in
flight hold (they may still cost that much), so concurrent requests can never overrun it. The
check runs in the hold's own transaction, after the account's ledger lock (the row every
hold on that account locks first, on every process), so no two holds of one account are
checked against each other's stale view. A request that fits only partly is served with a
lower ``max_tokens``, as for the balance; one that cannot get a single unit is refused with
``SpendCapReached``, which names the cap and when it resets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from caicaini.errors import InvalidInput
from caicaini.kit.clock import start_of_month, start_of_next_month
from caicaini.kit.credits import MAX_CREDITS

ACCOUNT = "account"
KEY = "key"
DAILY = "daily"
MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class Cap:
    scope: str  # ACCOUNT | KEY
    period: str  # DAILY | MONTHLY
    limit: int


def caps_of(scope: str, daily: int | None, monthly: int | None) -> tuple[Cap, ...]:
    caps: list[Cap] = []
    if daily is not None:
        caps.append(Cap(scope, DAILY, daily))
    if monthly is not None:
        caps.append(Cap(scope, MONTHLY, monthly))
    return tuple(caps)


def check_caps(daily: int | None, monthly: int | None) -> None:
    """A cap is a whole number of credits, 0 (nothing may be spent) or more; a daily cap
    above the monthly one could never apply."""
    for name, value in (("daily_credit_cap", daily), ("monthly_credit_cap", monthly)):
        if value is not None and not 0 <= value <= MAX_CREDITS:
            raise InvalidInput("a cap is a whole number of credits, 0 or more", field=name)
    if daily is not None and monthly is not None and daily > monthly:
        raise InvalidInput(
            "the daily cap cannot be higher than the monthly cap", field="daily_credit_cap"
        )


def period_start(period: str, now: datetime) -> datetime:
    if period == DAILY:
        return datetime(now.year, now.month, now.day, tzinfo=UTC)
    return start_of_month(now)


def resets_at(period: str, now: datetime) -> datetime:
    if period == DAILY:
        return period_start(DAILY, now) + timedelta(days=1)
    return start_of_next_month(now)


@dataclass(frozen=True, slots=True)
class Room:
    """What the tightest cap still allows, and that cap."""

    left: int
    cap: Cap
    spent: int
    resets_at: datetime


def tightest(rooms: list[Room]) -> Room | None:
    """The cap that binds: least left; of equals, the one that resets last (it blocks
    longest, so it is the one worth telling about)."""
    if not rooms:
        return None
    return min(rooms, key=lambda r: (r.left, -r.resets_at.timestamp()))


def in_words(delta: timedelta) -> str:
    """3 h 12 min, 4 days 2 h, 40 min."""
    minutes = max(1, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days > 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"

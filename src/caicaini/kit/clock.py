"""The clock is an injected dependency so tests can stand on 26 November at 12:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken to be UTC; aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def start_of_next_month(value: datetime) -> datetime:
    value = as_utc(value)
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def start_of_month(value: datetime) -> datetime:
    value = as_utc(value)
    return datetime(value.year, value.month, 1, tzinfo=UTC)

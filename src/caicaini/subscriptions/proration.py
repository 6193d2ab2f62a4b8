"""How a period's allowance is split over the calendar months it touches.

A period runs from its start to the same day next month (26 Nov → 26 Dec; 31 Jan → 28 Feb,
the day clamped at the month's end). Its calendar days are counted per month (26 Nov → 26 Dec
has 5 days in November and 25 in December). Each month gets ``allowance * days / total``
credits, rounded down, and the last part takes the rounding remainder, so the parts always
add up to exactly one allowance. Each part is valid for its calendar month: it is issued at
the period start or at 00:00 UTC on the 1st, and expires at 00:00 UTC on the next 1st.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from caicaini.kit.clock import as_utc, start_of_month, start_of_next_month


@dataclass(frozen=True)
class Part:
    position: int
    days: int
    amount: int
    issue_at: datetime
    expires_at: datetime


def add_month(value: datetime) -> datetime:
    """The same day and time next month, the day clamped to the month's last day."""
    value = as_utc(value)
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def split_allowance(allowance: int, starts_at: datetime, ends_at: datetime) -> list[Part]:
    first_day, last_day = starts_at.date(), ends_at.date()
    total = (last_day - first_day).days
    if total <= 0:
        raise ValueError("a period must span at least one day")
    parts: list[Part] = []
    cursor = start_of_month(starts_at)
    given = 0
    while cursor.date() < last_day:
        following = start_of_next_month(cursor)
        begin = max(first_day, cursor.date())
        end = min(last_day, following.date())
        days = (end - begin).days
        last = following.date() >= last_day
        amount = allowance - given if last else allowance * days // total
        given += amount
        issue_at = as_utc(starts_at) if not parts else cursor
        parts.append(Part(len(parts), days, amount, issue_at, following))
        cursor = following
    return parts


def month_key(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value.year:04d}-{value.month:02d}"

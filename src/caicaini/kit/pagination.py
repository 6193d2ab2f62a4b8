"""Limit/offset pagination shared by the JSON APIs and pages.

A list query fetches ``limit + 1`` rows; the extra row only says whether there is a next
page, and ``trim`` drops it. Offsets stop at ``MAX_OFFSET``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_LIMIT = 200
# Far past any real list, and far inside the databases' 64-bit OFFSET: larger values are
# refused (the API) or clamped (the pages) instead of overflowing into a 500.
MAX_OFFSET = 1_000_000_000


def trim(rows: Sequence[T], limit: int) -> tuple[list[T], bool]:
    """(the page's rows, whether more follow) from the ``limit + 1`` rows fetched."""
    return list(rows[:limit]), len(rows) > limit

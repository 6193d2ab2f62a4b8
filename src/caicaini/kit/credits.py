"""Credits are whole numbers, end to end: integer arithmetic only, never floats. The ledger
refuses any amount that is not a positive ``int`` (``caicaini.ledger.core.positive``) or
that exceeds ``MAX_CREDITS``."""

from __future__ import annotations

# The largest amount one operation moves: a billion credits, far above any purchase and
# inside the 32-bit integer columns of PostgreSQL (an input of 10**23 is a typo or an attack).
MAX_CREDITS = 1_000_000_000


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer ceiling division without floats."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return -(-numerator // denominator)

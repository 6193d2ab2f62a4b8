"""Credits are whole numbers, end to end: integer arithmetic only, never floats. The ledger
refuses any amount that is not a positive ``int`` (``caicaini.ledger.core.positive``)."""

from __future__ import annotations


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer ceiling division without floats."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return -(-numerator // denominator)

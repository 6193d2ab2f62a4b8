"""Credits are whole numbers, end to end. This type refuses floats so a stray division
cannot slip a fraction of a credit into the ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import NewType

Credits = NewType("Credits", int)


def credits(value: object) -> Credits:
    """Return ``value`` as Credits, refusing anything that is not an exact integer."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"credits must be an integer, not {type(value).__name__}")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"credits must be whole, got {value}")
        return Credits(int(value))
    return Credits(value)


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer ceiling division without floats."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    return -(-numerator // denominator)

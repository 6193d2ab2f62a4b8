"""How console pages print what domains hand them: crypto amounts and audit details."""

from __future__ import annotations

import json
from decimal import Decimal


def crypto(value: Decimal | None) -> str:
    """A crypto amount without the column's trailing zeros: 1.25, 5, 100 (never 1E+2)."""
    if value is None:
        return "\N{EN DASH}"
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def pretty_json(value: object) -> str:
    """Audit details for reading: indented, non-ASCII kept (the template escapes HTML)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)

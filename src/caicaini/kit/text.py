"""Free text a user gives (a key's name, a sending address, a reason) as stored text.

Control characters (NUL above all: PostgreSQL refuses it in text, SQLite keeps it) and lone
surrogates (no UTF-8 encoder takes them) belong in none of these; they are refused as bad
input naming the field, never left to fail in the database as a 500. Tabs and newlines are
control characters too: where a field allows them, the caller says so.
"""

from __future__ import annotations

import unicodedata

from caicaini.errors import InvalidInput

_ALLOWED_CONTROLS = frozenset("\t\n\r")


def plain_text(value: str, field: str, *, multiline: bool = False) -> str:
    """``value`` itself, or ``InvalidInput`` when it holds a control character (besides tab
    and line breaks when ``multiline``) or a lone surrogate."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and not (multiline and char in _ALLOWED_CONTROLS)):
            raise InvalidInput(
                f"{field}: may not hold control characters (found U+{ord(char):04X})",
                field=field,
            )
    return value

"""Trust errors."""

from __future__ import annotations

from caicaini.errors import PermissionDenied


class SignalBlocked(PermissionDenied):
    """A device or address tied to a suspended or banned account cannot open a new one."""

    code = "signup_blocked"

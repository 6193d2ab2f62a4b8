"""Errors of the ledger domain."""

from __future__ import annotations

from caicaini.errors import Conflict, InvalidInput, NotFound


class HoldNotFound(NotFound):
    """Settling or releasing needs the hold placed for that request."""

    code = "hold_not_found"


class HoldAlreadyResolved(Conflict):
    """A released hold cannot be settled (and a settled one is never charged twice)."""

    code = "hold_already_resolved"


class GrantNotFound(NotFound):
    """Credits move only between grants that exist."""

    code = "grant_not_found"


class ReasonRequired(InvalidInput):
    """Operator adjustments and forfeitures always say why (they are audited)."""

    code = "reason_required"

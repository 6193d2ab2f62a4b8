"""Errors of the incidents domain."""

from __future__ import annotations

from caicaini.errors import InvalidInput, NotFound


class IncidentNotFound(NotFound):
    """Only a declared incident can be shown, ended or reconciled."""

    code = "incident_not_found"


class InvalidWindow(InvalidInput):
    """An incident's window starts no later than now and ends after it starts."""

    code = "invalid_incident_window"

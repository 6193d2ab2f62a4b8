"""Errors of the API-key domain (rendered by each edge from the shared table)."""

from __future__ import annotations

from caicaini.errors import AuthenticationFailed, Conflict, PermissionDenied


class InvalidApiKey(AuthenticationFailed):
    """The key is malformed, unknown, revoked or expired (a known key is told which)."""

    code = "invalid_api_key"


class ApiKeysNotInPlan(PermissionDenied):
    """Only plans that include API keys may create them."""

    code = "api_keys_not_in_plan"


class ModelNotAllowedForKey(PermissionDenied):
    """The key's owner restricted it to other models."""

    code = "model_not_allowed_for_key"


class TooManyKeys(Conflict):
    """An account holds at most ``MAX_ACTIVE_KEYS`` working keys (revoke one to add one)."""

    code = "too_many_api_keys"

"""Errors of the device sign-in (the codes follow RFC 8628 so clients can match on them)."""

from __future__ import annotations

from caicaini.errors import Conflict, NotFound, PermissionDenied, RateLimited


class AuthorizationPending(Conflict):
    """The user has not approved (or denied) the device yet: poll again after the interval."""

    code = "authorization_pending"


class SlowDown(RateLimited):
    """The device polled sooner than its interval allows."""

    code = "slow_down"


class AccessDenied(PermissionDenied):
    """The account owner denied the device."""

    code = "access_denied"


class DeviceCodeExpired(Conflict):
    """The code outlived its time to live or was already used; start the sign-in again."""

    code = "expired_token"


class UnknownDeviceCode(NotFound):
    """No sign-in request has this code."""

    code = "invalid_grant"

"""The domain error tree. No HTTP here: each edge (JSON API, Anthropic, OpenAI, HTML, CLI)
renders these its own way from the table in ``caicaini.http.errors``.

    DomainError
    ├── InvalidInput            bad input the caller can fix
    │   └── RequestTooLarge     the body passed the size limit
    ├── NotFound                no such object, or not yours (never tell which)
    ├── Conflict                the object's state forbids the action
    ├── AuthenticationFailed    who you are could not be established
    ├── PermissionDenied        you are known but may not do this
    ├── AccountUnavailable      the account is suspended, banned or closed
    ├── RateLimited             too many attempts; carries retry_after
    ├── InsufficientCredits     the balance cannot cover the charge
    ├── Overloaded              no capacity right now (a pool ran dry); carries retry_after
    └── UpstreamError           a model provider failed; carries its status and wording

Each subclass has a stable ``code`` that clients can match on.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user can cause or see."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInput(DomainError):
    """Input breaks a rule the caller can fix (format, strength, age...)."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.field = field


class RequestTooLarge(InvalidInput):
    """The request body exceeds the size limit (counted as it arrives: no body is held whole
    beyond it)."""

    code = "request_too_large"


class NotFound(DomainError):
    """The object does not exist or belongs to someone else."""

    code = "not_found"


class Conflict(DomainError):
    """The object's current state forbids the action (already used, already exists...)."""

    code = "conflict"


class AuthenticationFailed(DomainError):
    """Credentials, session or key could not be verified."""

    code = "authentication_failed"


class PermissionDenied(DomainError):
    """The caller is known but not allowed to do this."""

    code = "permission_denied"


class AccountUnavailable(PermissionDenied):
    """Suspended, banned or closed accounts cannot act; the reason is shown to the owner."""

    code = "account_unavailable"


class RateLimited(DomainError):
    """Too many attempts in a window; try again after ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class InsufficientCredits(DomainError):
    """The balance cannot cover what the action may cost: credits are never overdrawn."""

    code = "insufficient_credits"


class Overloaded(DomainError):
    """Capacity ran out (a connection pool stayed empty past its wait): nothing was done, and
    the same request may succeed after ``retry_after`` seconds."""

    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class UpstreamError(DomainError):
    """A model provider answered with an error; its status and wording are kept for the client."""

    code = "upstream_error"

    def __init__(
        self, message: str, *, status: int, error_type: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.retry_after = retry_after

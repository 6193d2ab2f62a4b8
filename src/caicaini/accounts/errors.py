"""Account errors: each names the rule it protects and carries a stable ``code``."""

from __future__ import annotations

from caicaini.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied


class TooYoung(InvalidInput):
    """The Terms require users to be at least 13 years old."""

    code = "too_young"


class WeakPassword(InvalidInput):
    """Passwords must resist guessing: length, variety, not the address, not a common one."""

    code = "weak_password"


class InvalidEmail(InvalidInput):
    """The e-mail address is not a deliverable address."""

    code = "invalid_email"


class EmailTaken(Conflict):
    """One e-mail address, one account."""

    code = "email_taken"


class EmailOfClosedAccount(EmailTaken):
    """A closed account's address stays its own (the audit log keeps it): no new account."""

    code = "email_of_closed_account"


class InvalidCredentials(AuthenticationFailed):
    """Wrong e-mail or password (never says which, so addresses cannot be enumerated)."""

    code = "invalid_credentials"


class LinkInvalid(NotFound):
    """The link is unknown or was meant for something else."""

    code = "link_invalid"


class LinkUsed(Conflict):
    """E-mailed links work once."""

    code = "link_used"


class LinkExpired(Conflict):
    """E-mailed links expire."""

    code = "link_expired"


class CsrfFailed(PermissionDenied):
    """Unsafe requests must prove they come from our own pages (CSRF token)."""

    code = "csrf_failed"

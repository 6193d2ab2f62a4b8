"""Operator roles in the console.

    support  reads every console page and adds notes to accounts
    admin    also does every action that changes money or access

Only operators (``Account.is_operator``) have a role. An operator created before roles
existed, or with ``users create --operator``, has no ``operator_role`` and is an admin, so
nobody lost a power when roles arrived; ``users create --operator --role support`` makes a
support operator. Roles are ordered: a page that needs ``support`` admits an admin too.
"""

from __future__ import annotations

from caicaini.errors import InvalidInput
from caicaini.models.accounts import Account

SUPPORT = "support"
ADMIN = "admin"
ROLES = (SUPPORT, ADMIN)  # weakest first


def role_of(account: Account) -> str | None:
    """The account's console role, or None for a customer."""
    if not account.is_operator:
        return None
    return account.operator_role or ADMIN


def has_role(role: str | None, needed: str) -> bool:
    return role is not None and ROLES.index(role) >= ROLES.index(needed)


def check_role(value: str) -> str:
    role = value.strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"the role is one of {', '.join(ROLES)}", field="role")
    return role

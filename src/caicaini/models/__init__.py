"""ORM models, one module per table or small group. Importing this package registers every
table on ``Base.metadata`` (Alembic and the tests rely on it)."""

from caicaini.models import (
    accounts,
    api_keys,
    audit,
    chat,
    devices,
    guardrails,
    incidents,
    jobs,
    ledger,
    mail,
    notices,
    payments,
    plans,
    subscriptions,
    usage,
)
from caicaini.models.base import Base

__all__ = [
    "Base",
    "accounts",
    "api_keys",
    "audit",
    "chat",
    "devices",
    "guardrails",
    "incidents",
    "jobs",
    "ledger",
    "mail",
    "notices",
    "payments",
    "plans",
    "subscriptions",
    "usage",
]

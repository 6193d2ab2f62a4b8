"""ORM models, one module per table or small group. Importing this package registers every
table on ``Base.metadata`` (Alembic and the tests rely on it)."""

from caicaini.models import accounts, audit, jobs, mail
from caicaini.models import api_keys, usage  # noqa: F401  (gateway)
from caicaini.models import ledger, notices, plans, subscriptions  # noqa: F401  (credits)
from caicaini.models import payments  # noqa: F401  (payments)
from caicaini.models.base import Base

__all__ = ["Base", "accounts", "audit", "jobs", "mail"]

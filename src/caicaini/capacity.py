"""Capacity: the pools each process opens, how to size them, and what running out looks like.

Every process (each ``caicaini serve`` worker, each ``caicaini worker``) opens at most
``CAICAINI_DATABASE_POOL_SIZE`` PostgreSQL connections: the pool has no overflow, so the
number is a ceiling, not a hint. The sizing rule follows:

    processes x CAICAINI_DATABASE_POOL_SIZE  <=  max_connections - reserve

where the reserve covers migrations, ``psql`` and monitoring (a handful). With the server's
default ``max_connections = 100`` and the default pool of 10: up to 9 processes, e.g. two
hosts of 4 workers and one job worker. Redis is sized the same way against its
``maxclients`` (10,000 by default): ``CAICAINI_REDIS_POOL_SIZE`` connections a process for
the rate limiter, one more for the key-revocation channel.

A request that finds its pool empty waits at most the pool's timeout
(``CAICAINI_DATABASE_POOL_TIMEOUT_SECONDS``, ``CAICAINI_REDIS_POOL_TIMEOUT_SECONDS``) for a
connection to come back; past that, or when the server itself refuses a connection (too
many clients), the request is answered 503 with ``retry-after``, in the endpoint's format:
``is_overload`` tells those failures from bugs, which stay 500s.
"""

from __future__ import annotations

from typing import Any

from caicaini.config import Settings

RETRY_AFTER_SECONDS = 2
# SQLSTATE class 53 (insufficient resources: too many connections, out of memory or disk)
# and 57P03 (the server is starting up or shutting down: "cannot connect now").
_PG_BUSY_PREFIXES = ("53", "57P03")


def database_pool_options(settings: Settings) -> dict[str, Any]:
    """Engine options for the configured database: a fixed-size pool with a bounded wait
    on PostgreSQL (SQLite's writers are serialised by the database itself)."""
    if settings.is_sqlite:
        return {}
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": 0,
        "pool_timeout": settings.database_pool_timeout_seconds,
    }


def is_overload(exc: BaseException) -> bool:
    """Whether ``exc`` says a pool or a server ran out of room (a 503), not a bug (a 500)."""
    import redis.exceptions as redis_errors
    import sqlalchemy.exc as sa_errors

    if isinstance(
        exc, sa_errors.TimeoutError | redis_errors.ConnectionError | redis_errors.TimeoutError
    ):
        return True
    driver_error = exc.orig if isinstance(exc, sa_errors.DBAPIError) else exc
    sqlstate = _sqlstate(driver_error)
    return sqlstate is not None and sqlstate.startswith(_PG_BUSY_PREFIXES)


def _sqlstate(error: BaseException | None) -> str | None:
    """The SQLSTATE of a driver error: asyncpg's own, or under SQLAlchemy's adaptation."""
    for candidate in (error, getattr(error, "__cause__", None)):
        sqlstate = getattr(candidate, "sqlstate", None)
        if isinstance(sqlstate, str):
            return sqlstate
    return None

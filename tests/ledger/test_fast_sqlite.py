"""The SQLite fast path writes and reads exactly what SQLAlchemy would (same bind and result
processing: aware datetimes, NULLs), falls back for statements it cannot run itself, and
raises SQLAlchemy's errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, create_engine, insert, select, update
from sqlalchemy.exc import IntegrityError

import caicaini.models  # noqa: F401  (all tables on the metadata)
from caicaini.ledger import fast_sqlite
from caicaini.ledger.hold_repository import _GRANT_COLUMNS, _MOVE_GRANT, grants_t
from caicaini.models.base import Base

NOW = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)
BY_ACCOUNT = select(*_GRANT_COLUMNS).where(grants_t.c.account_id == bindparam("account_id"))
INSERT_GRANT = insert(grants_t)


def grant(n: int, expires_at: datetime | None) -> dict[str, object]:
    return {"id": f"g{n}", "account_id": "a1", "kind": "topup", "status": "active",
            "amount": 10, "remaining": 10, "issued_at": NOW, "expires_at": expires_at}  # fmt: skip


def test_fast_path_matches_sqlalchemy() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(INSERT_GRANT, grant(0, NOW + timedelta(days=3)))
        fast_sqlite.execute(conn, INSERT_GRANT, grant(1, None))
        fast_sqlite.execute(conn, _MOVE_GRANT, {"grant_id": "g1", "delta": -4})
        expected = [tuple(row) for row in conn.execute(BY_ACCOUNT, {"account_id": "a1"})]
        assert fast_sqlite.rows(conn, BY_ACCOUNT, {"account_id": "a1"}) == expected
        assert [row[3] for row in expected] == [10, 6]
        assert expected[0][5] == NOW + timedelta(days=3)
        assert expected[1][5] is None
        with pytest.raises(IntegrityError):  # SQLAlchemy's error, not the driver's
            fast_sqlite.execute(conn, INSERT_GRANT, grant(1, None))
        stmt = update(grants_t).where(grants_t.c.id == bindparam("gid")).values(remaining=1)
        fast_sqlite.execute(conn, stmt.returning(grants_t.c.id), {"gid": "g0"})  # falls back
        assert fast_sqlite.rows(conn, BY_ACCOUNT, {"account_id": "a1"})[0][3] == 1
    engine.dispose()

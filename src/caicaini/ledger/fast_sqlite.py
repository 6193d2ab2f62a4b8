"""Single-row INSERTs and UPDATEs, and plain SELECTs, on the gateway's SQLite writer
connection without SQLAlchemy's per-execution machinery (execution context, events, result
object): the
statement is compiled once per set of parameter names, its parameters go through the same
bind processors SQLAlchemy would apply (``UTCDateTime``, JSON, ...), and the DBAPI cursor
runs it in the connection's current transaction.

Only for the synchronous pysqlite driver (the writer's connection); anything else, and any
statement that needs more than plain binds (Python-side column defaults, RETURNING,
expanding parameters), runs through ``Connection.execute`` as before. SELECT rows come back
as tuples with SQLAlchemy's result processors applied (aware datetimes, JSON). A statement that
fails is run once more through SQLAlchemy, so callers see SQLAlchemy's usual exceptions (a
failed SQLite statement leaves no trace in the transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

Plan = tuple[str, SQLCompiler, Sequence[str], dict[str, Any]]

# Plans are keyed by the statement object itself (not its id(), which a collected statement
# could hand to a new one); callers pass module-level statements, so the caches stay small.
_plans: dict[tuple[Any, tuple[str, ...]], Plan | None] = {}


def execute(conn: Connection, stmt: UpdateBase, params: dict[str, Any]) -> int:
    """Run one INSERT/UPDATE with one row of parameters; the number of rows it changed."""
    if conn.dialect.driver != "pysqlite":
        return int(conn.execute(stmt, params).rowcount)
    key = (stmt, tuple(params))
    try:
        plan = _plans[key]
    except KeyError:
        plan = _plans[key] = _plan(conn.dialect, stmt, params)
    if plan is None:
        return int(conn.execute(stmt, params).rowcount)
    sql, compiled, names, processors = plan
    values = _driver_values(compiled, names, processors, params)
    raw = conn.connection.driver_connection
    try:
        return int(raw.execute(sql, values).rowcount)  # type: ignore[union-attr]
    except sqlite3.Error:
        conn.execute(stmt, params)  # raises SQLAlchemy's wrapped error
        raise


def _driver_values(
    compiled: SQLCompiler,
    names: Sequence[str],
    processors: dict[str, Any],
    params: dict[str, Any],
) -> list[Any]:
    """The positional values the driver gets: SQLAlchemy's bound parameters, processed."""
    bound = compiled.construct_params(params, escape_names=False)
    assert bound is not None
    return [processors[name](bound[name]) if name in processors else bound[name] for name in names]


def _plan(dialect: Dialect, stmt: UpdateBase, params: dict[str, Any]) -> Plan | None:
    compiled = stmt.compile(dialect=dialect, column_keys=list(params))
    assert isinstance(compiled, SQLCompiler)
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.effective_returning
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or not compiled.positional
        or compiled.positiontup is None
        or stmt._returning
    ):
        return None
    processors = {k: v for k, v in compiled._bind_processors.items() if callable(v)}
    return compiled.string, compiled, list(compiled.positiontup), processors


QueryPlan = tuple[str, SQLCompiler, Sequence[str], dict[str, Any], list[Any]]
_queries: dict[tuple[Any, tuple[str, ...]], QueryPlan | None] = {}


def rows(conn: Connection, stmt: Select[Any], params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """All rows of one SELECT, as tuples of processed values."""
    if conn.dialect.driver != "pysqlite":
        return [tuple(row) for row in conn.execute(stmt, params)]
    key = (stmt, tuple(params))
    try:
        plan = _queries[key]
    except KeyError:
        plan = _queries[key] = _query_plan(conn.dialect, stmt, params)
    if plan is None:
        return [tuple(row) for row in conn.execute(stmt, params)]
    sql, compiled, names, processors, results = plan
    values = _driver_values(compiled, names, processors, params)
    raw = conn.connection.driver_connection
    try:
        fetched = raw.execute(sql, values).fetchall()  # type: ignore[union-attr]
    except sqlite3.Error:
        conn.execute(stmt, params)  # raises SQLAlchemy's wrapped error
        raise
    return [
        tuple(v if p is None or v is None else p(v) for p, v in zip(results, row, strict=True))
        for row in fetched
    ]


def _query_plan(dialect: Dialect, stmt: Select[Any], params: dict[str, Any]) -> QueryPlan | None:
    compiled = stmt.compile(dialect=dialect, column_keys=list(params))
    assert isinstance(compiled, SQLCompiler)
    if (
        compiled.literal_execute_params
        or compiled.post_compile_params
        or not compiled.positional
        or compiled.positiontup is None
        or not compiled._result_columns
    ):
        return None
    processors = {k: v for k, v in compiled._bind_processors.items() if callable(v)}
    results = [
        entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns
    ]
    return compiled.string, compiled, list(compiled.positiontup), processors, results

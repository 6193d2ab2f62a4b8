"""The gateway's SQLite writer: one thread with one synchronous connection to the database
file, running a whole metering transaction (a hold; a settlement with its usage record and
receipt) per hop.

Why: through aiosqlite every statement is a round trip to the driver's thread and back to
the event loop; a settlement is ten of them. Here the event loop hands over one function and
gets one answer. Under load, the work that queued up while one transaction ran is committed
together (group commit, each piece in its own savepoint), so a busy gateway pays for one
commit per batch instead of one per message.

The transaction is the same ``BEGIN IMMEDIATE`` one the rest of the application uses on
SQLite (writers serialised by the database), so the writer and the application's pooled
connections exclude each other the usual way. Nothing is buffered past its caller: ``run``
returns once the transaction holding its work has committed (or raises, its work rolled
back), so a settlement is durable before the response is sent; closing the writer waits for
everything queued. A crash loses only uncommitted work, whose holds the sweeper resolves.
PostgreSQL does not use it (asyncpg has no thread hop, and the database runs many writers
at once).

Whenever the thread is not in a transaction, a transaction runs right on the event loop
instead, taking along whatever is queued (each piece in its own savepoint): the same
connection, the same ``BEGIN IMMEDIATE``, but with SQLite's busy timeout at zero for the
``BEGIN``, so the loop never waits for a lock: if another connection holds the write lock
the work goes to the thread, which waits for it. At low load this saves two thread wake-ups
and the GIL hand-offs around them per transaction (~0.3 ms a message). Under load it keeps
the thread out of the way: a thread running a batch while the loop is busy waits for the
GIL at every statement (up to the 5 ms switch interval each), which gave requests at
concurrency 32 a tail of up to a second once one busy lock had sent the writer there.
The writer keeps its one connection open and issues ``BEGIN IMMEDIATE`` straight on the
driver: no pool checkout or SQLAlchemy statement per transaction.

Checkpoints (copying the WAL back into the database file, with two fsyncs) run on the
writer's thread, every ``CHECKPOINT_EVERY`` commits, never inside a commit: SQLite's own
automatic checkpoint runs in whichever commit crosses 1,000 WAL pages, which on the event
loop stalled every request in flight, and at concurrency 32 took 40% of the commits' time.
While the thread checkpoints, new work queues for it (the writer counts as busy) and then
commits as one group, so the checkpoint sees the whole WAL and the next writer can start it
over: the WAL stays bounded under continuous load.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.engine.url import make_url

from caicaini.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")
Work = Callable[[Connection], Any]
Pending = tuple[Work, "asyncio.Future[Any]", asyncio.AbstractEventLoop]

MAX_BATCH = 64
BUSY_TIMEOUT_MS = 30000
CHECKPOINT_EVERY = 250  # commits (a few thousand WAL pages)
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


class WriterBusy(Exception):
    """The writer cannot run a transaction right now without waiting."""


class SqliteWriter:
    def __init__(self, url: str) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self.engine = create_engine(
            sync_url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=1,
            max_overflow=0,
        )
        _configure(self.engine)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when ``_users`` drops to 0
        self._queue: list[Pending] = []
        self._users = 0  # transactions in progress or being drained, on either thread
        # One connection for the writer's life, used by one thread at a time (``_users``):
        # no pool checkout per transaction, and the busy timeout is set only when it changes.
        self._conn: Connection | None = None
        self._busy_timeout: int | None = None
        self._database = str(sync_url.database)
        self._commits = 0  # since the last checkpoint was scheduled
        self._checkpoint_due = False  # no new transaction on the loop until it has run
        self._checkpointer: sqlite3.Connection | None = None  # the thread's own connection

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a transaction (on the event loop when the writer is idle and the
        lock is free, else on the writer thread); returns once it has committed, raises (its
        effects rolled back) if it failed."""
        try:
            return self.run_now(work)
        except WriterBusy:
            pass
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._queue.append((work, future, loop))
        self._executor.submit(self._drain)
        return await future

    async def flush(self) -> None:
        """Wait until everything submitted so far has committed (a hook for tests and
        shutdown; ``run`` itself already waits for its own commit)."""
        await self.run(lambda _conn: None)

    def run_now(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a transaction right here, without waiting: committed when this
        returns; ``WriterBusy`` (nothing done) when the writer thread is in a transaction or
        another connection holds the write lock. Work queued for the thread meanwhile rides
        along in the same transaction (each piece in its own savepoint), so the writer is back
        on the event loop as soon as the thread is idle (see the module's docstring)."""
        with self._lock:
            if self._users or self._checkpoint_due:
                raise WriterBusy
            self._users += 1
            queued, self._queue = self._queue, []
        try:
            return self._run_here(work, queued)
        finally:
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._users -= 1
            if not self._users:
                self._idle.notify_all()

    def _run_here(self, work: Callable[[Connection], T], queued: list[Pending]) -> T:
        """One transaction on the calling thread, refusing to wait for the write lock
        (``WriterBusy``, the queued work handed back to the thread). Only called while this
        writer has no other user, so the connection is free."""
        conn = self._connection(busy_timeout=0)
        try:
            transaction = _begin_immediate(conn)
        except sqlite3.OperationalError as exc:
            with self._lock:
                self._queue[:0] = queued
            if exc.sqlite_errorcode & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
                raise WriterBusy from None
            raise
        if not queued:
            with transaction:
                result = work(conn)
            self._committed()
            return result
        outcomes = self._in_transaction(conn, transaction, [work, *(w for w, _f, _l in queued)])
        self._committed()
        _hand_over(queued, outcomes[1:])
        ok, value = outcomes[0]
        if not ok:
            raise value
        return cast(T, value)

    def _connection(self, *, busy_timeout: int) -> Connection:
        """The writer's connection, waiting up to ``busy_timeout`` ms for the write lock."""
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self.engine.connect()
            self._busy_timeout = BUSY_TIMEOUT_MS  # as ``_configure`` left it
        if self._busy_timeout != busy_timeout:
            raw = self._conn.connection.driver_connection
            assert raw is not None
            raw.execute(f"PRAGMA busy_timeout={busy_timeout}")
            self._busy_timeout = busy_timeout
        return self._conn

    def _drain(self) -> None:
        """Group commit: what queued up while the previous transaction ran goes into one
        transaction, each piece of work in its own savepoint (one failing leaves the others
        intact)."""
        with self._lock:
            if self._users or not self._queue:
                return  # the event loop or an earlier drain took it
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._users += 1
        try:
            self._commit(batch)
        finally:
            self._release()

    def _commit(self, batch: list[Pending]) -> None:
        try:
            conn = self._connection(busy_timeout=BUSY_TIMEOUT_MS)
            transaction = _begin_immediate(conn)
        except Exception as exc:  # no transaction: every piece failed
            _hand_over(batch, [(False, exc)] * len(batch))
            return
        outcomes = self._in_transaction(conn, transaction, [w for w, _f, _l in batch])
        self._committed()
        _hand_over(batch, outcomes)

    def _committed(self) -> None:
        """Count a transaction (committed or rolled back: close enough for a schedule) and
        schedule a checkpoint on the thread every ``CHECKPOINT_EVERY``."""
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY:
            self._commits = 0
            with self._lock:
                self._checkpoint_due = True
            self._executor.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        """Fold the WAL into the database file, on the writer thread, on its own connection,
        once no transaction of the writer's is running. The writer counts as busy meanwhile:
        new transactions queue for the thread (their drains run after this, as one group),
        so the checkpoint copies the whole WAL and the next transaction starts it over. PASSIVE: it
        never waits for readers or other connections' writers; what it cannot copy now, a
        later one will."""
        with self._idle:
            self._idle.wait_for(lambda: not self._users)
            self._users += 1
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(self._database, check_same_thread=False)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # e.g. another connection is checkpointing
            log.warning("sqlite.checkpoint_failed", error=str(exc))
        finally:
            with self._lock:
                self._checkpoint_due = False
            self._release()

    @staticmethod
    def _in_transaction(
        conn: Connection, transaction: RootTransaction, pieces: list[Work]
    ) -> list[tuple[bool, Any]]:
        """Each piece's outcome: one piece alone runs bare, several each in a savepoint."""
        outcomes: list[tuple[bool, Any]] = []
        try:
            with transaction:
                if len(pieces) == 1:
                    outcomes.append((True, pieces[0](conn)))
                else:
                    outcomes.extend(_in_savepoint(conn, piece) for piece in pieces)
        except Exception as exc:  # the transaction as a whole failed: so did every piece
            outcomes = [(False, exc)] * len(pieces)
        return outcomes

    async def aclose(self) -> None:
        """Wait for the transaction in progress and everything queued, then close."""
        await asyncio.to_thread(self._executor.shutdown, True)
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._conn is not None:
            self._conn.close()
        self.engine.dispose()


def _in_savepoint(conn: Connection, work: Work) -> tuple[bool, Any]:
    savepoint = conn.begin_nested()
    try:
        result = work(conn)
    except Exception as exc:
        savepoint.rollback()
        return False, exc
    savepoint.commit()
    return True, result


def _hand_over(batch: list[Pending], outcomes: list[tuple[bool, Any]]) -> None:
    """Each queued piece's outcome to its waiter, on the waiter's event loop."""
    for (_work, future, loop), outcome in zip(batch, outcomes, strict=True):
        loop.call_soon_threadsafe(_resolve, future, outcome)


def _resolve(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.cancelled():
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def build_writer(url: str) -> SqliteWriter | None:
    """A writer for a SQLite database file; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return SqliteWriter(url)


def _configure(engine: Engine) -> None:
    """The same connection settings as ``caicaini.db`` gives SQLite, but no automatic
    checkpoint in this connection's commits (the writer schedules its own)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()


def _begin_immediate(conn: Connection) -> RootTransaction:
    """``BEGIN IMMEDIATE`` straight on the driver (the write lock now, not at the first write;
    ``sqlite3.OperationalError`` when it cannot be had), then SQLAlchemy's transaction over it:
    with the driver in autocommit mode SQLAlchemy's own begin sends nothing, and its commit or
    rollback ends this transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("BEGIN IMMEDIATE")
    try:
        return conn.begin()
    except BaseException:
        raw.execute("ROLLBACK")
        raise

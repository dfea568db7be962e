"""How SQLite connections behave, so several gunicorn workers can share one file, and how deleted data is made unreadable.

- WAL journal: readers never wait for the writer, nor the writer for readers.
- ``busy_timeout``: a writer that finds another one writing waits for it
  instead of failing at once with "database is locked".
- ``synchronous=NORMAL``: with WAL, a transaction that committed survives the
  process being killed; only a power cut can lose the last few, and it never
  corrupts the file.
- ``secure_delete``: deleted rows, and the old form of updated ones, are
  overwritten with zeros, so a withdrawn name cannot be read back from the
  file by someone who takes the server. The write-ahead log still holds
  earlier copies of the pages until it is checkpointed and truncated, which
  ``scrub_after_commit`` asks for after a withdrawal or an erasure,
  ``reclaim`` does after ``purge``, and the mail worker and ``keys create``
  do after sending or sealing.

Transactions keep the Python driver's own behaviour: it begins one just
before the first INSERT, UPDATE or DELETE. A transaction that begins by
writing waits its turn through ``busy_timeout``; one that had read first and
then found another writer's commit could not.

PostgreSQL needs none of the connection settings; ``reclaim`` vacuums there.
A pooled PostgreSQL connection that sat unused for DATABASE_PING_IDLE_SECONDS
is pinged before it is handed out, so one the server (or PgBouncer) closed
meanwhile is replaced instead of failing a request; one used a moment ago is
not, which saves a round trip on every busy request (see ``_ping_if_idle``).
Behind PgBouncer in transaction mode (``DATABASE_PGBOUNCER``) psycopg must not
prepare statements: see ``engine_options``.
"""
import collections
import functools
import logging
import time

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session

BUSY_TIMEOUT_MS = 10_000
# A withdrawal, an erasure or a mail worker pass waits at most this long for a quiet moment to empty the log.
REQUEST_CHECKPOINT_WAIT_MS = 2_000
_SCRUB = "petitions.checkpoint_after_commit"
_PLANS = "petitions_direct_statement_plans"
_RETURNED = "petitions.returned_at"

log = logging.getLogger(__name__)


def init_app(app, db):
    """Set up every connection the app's engines open; call after ``db.init_app(app)``.

    Only the app's own engines: another engine in the same process (a test's,
    a benchmark's) keeps SQLAlchemy's defaults unless it asks for these.
    """
    idle = app.config["DATABASE_PING_IDLE_SECONDS"]
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "connect", _configure_sqlite)
            if engine.dialect.name != "sqlite":
                event.listen(engine.pool, "checkin", _returned)
                # The dialect and the setting, not the engine: a listener holding the engine would make a
                # cycle (engine, pool, listener), and an engine nobody disposed would outlive its last user.
                event.listen(engine.pool, "checkout", functools.partial(_ping_if_idle, engine.dialect, idle))


def _returned(dbapi_connection, record):
    if dbapi_connection is not None:
        record.info[_RETURNED] = time.monotonic()


def _ping_if_idle(dialect, idle_seconds, dbapi_connection, record, proxy):
    """Ping a pooled connection that has been idle ``idle_seconds`` or more before it is used (a new one is not).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip to
    the server per request and per mail delivered, most of them on a
    connection that answered milliseconds ago. A server that went away since
    a connection's last use makes its next statement fail with a disconnect;
    SQLAlchemy then discards the pool's connections, that one request gets the
    503 page, and the next ones connect afresh. Raising DisconnectionError
    here makes the pool replace the connection and try again (SQLAlchemy's
    documented way for a checkout listener).
    """
    returned = record.info.get(_RETURNED)  # none yet: just connected (the record's info goes with a closed connection)
    if returned is None or time.monotonic() - returned < idle_seconds:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        raise DisconnectionError("the database connection was closed while idle") from exc


class DirectStatement:
    """A prebuilt Core statement on a hot path, handed to psycopg directly on PostgreSQL.

    SQLAlchemy's own execution of a statement (an execution context, result
    metadata built from the cursor's description, the session's execute) cost
    0.29 M instructions each; a confirmation press runs two, a sixth of all it
    did (BENCHMARKS.md, session 10). This sends what SQLAlchemy would send: the
    SQL it compiles for the dialect (once), the parameters through its bind
    processors, and the row through its result processors. A driver error is
    raised as SQLAlchemy raises it (with the engine's ``hide_parameters``), and
    a lost connection empties the pool as SQLAlchemy's would, so the 503 page
    and the recovery work as for any statement. Other drivers take SQLAlchemy's
    path (SQLite runs in-process: nothing to save).

    Only for statements whose parameters are plain values (no IN lists) with
    names SQLAlchemy need not escape.
    """

    def __init__(self, statement):
        self.statement = statement

    def first(self, session, params):
        """The first row (attributes named as the statement's columns) or None, in ``session``'s transaction."""
        connection = session.connection()
        dialect = connection.dialect
        if dialect.driver != "psycopg":
            return connection.execute(self.statement, params).first()
        # Kept on the dialect, so they go with its engine.
        plans = dialect.__dict__.setdefault(_PLANS, {})
        plan = plans.get(self) or plans.setdefault(self, _Plan(self.statement, dialect))
        values = plan.compiled.construct_params(params)
        for name, process in plan.binds:
            values[name] = process(values[name])
        dbapi_connection = connection.connection.dbapi_connection
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(plan.sql, values)
                row = cursor.fetchone()
                results = plan.results or plan.result_processors(cursor.description)
        except dialect.loaded_dbapi.Error as exc:
            lost = dialect.is_disconnect(exc, dbapi_connection, None)
            if lost:
                # The server went away: every pooled connection is as dead as this one. SQLAlchemy empties the
                # pool too (its own way is private API; this is the public one).
                connection.invalidate(exc)
                connection.engine.dispose()
            raise DBAPIError.instance(plan.sql, values, exc, dialect.loaded_dbapi.Error,
                                      hide_parameters=connection.engine.hide_parameters,
                                      connection_invalidated=lost, dialect=dialect) from exc
        except BaseException as exc:
            if not isinstance(exc, Exception):  # interrupted mid-statement: the connection's state is unknown
                connection.invalidate(exc)
            raise
        if row is None:
            return None
        return plan.row._make(value if process is None else process(value)
                              for value, process in zip(row, results, strict=True))


class _Plan:
    """A statement compiled for one dialect, with SQLAlchemy's processors for its parameters and columns."""

    def __init__(self, statement, dialect):
        self.compiled = statement.compile(dialect=dialect)
        if self.compiled.escaped_bind_names or any(bind.expanding or bind.literal_execute
                                                   for bind in self.compiled.binds.values()):
            raise ValueError("DirectStatement takes plain parameters only")
        self.sql = self.compiled.string
        self.dialect = dialect
        self.binds = [(name, process) for bind, name in self.compiled.bind_names.items()
                      if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None]
        self.columns = list(statement.exported_columns)
        self.row = collections.namedtuple("Row", [column.key for column in self.columns])
        self.results = None

    def result_processors(self, description):
        # As SQLAlchemy does, from the driver's column types, the first time the statement runs.
        self.results = [column.type.dialect_impl(self.dialect).result_processor(self.dialect, field.type_code)
                        for column, field in zip(self.columns, description, strict=True)]
        return self.results


def _configure_sqlite(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # What is deleted or blanked (a sent email's address, a withdrawn signer, plaintext
    # being sealed) is overwritten with zeros, not left in the file's free space.
    cursor.execute("PRAGMA secure_delete=ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def engine_options(config):
    """SQLALCHEMY_ENGINE_OPTIONS for ``config``, with what PgBouncer in transaction mode needs when DATABASE_PGBOUNCER is on.

    PgBouncer hands each transaction whichever server connection is free, but
    psycopg prepares a query on the server after its fifth run on one
    connection and then runs it by name: on another server connection that
    name is unknown, or already taken by another client's statement, and the
    query fails. ``prepare_threshold=None`` turns that off, at the cost of the
    server planning each query afresh. PgBouncer 1.21 and later can track
    prepared statements itself (``max_prepared_statements``), but Debian 12
    ships 1.18, so the setting is the safe default behind any version.

    Nothing else needs to change: the application keeps no state in a
    database session between transactions (no session-level SET, advisory
    lock, LISTEN or temporary table), and the idle check (``_ping_if_idle``)
    still finds a client connection that PgBouncer closed.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if config.get("DATABASE_PGBOUNCER", False) and str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    return options


def scrub_after_commit(session):
    """Once ``session`` commits, empty SQLite's write-ahead log of the pages that held what it deleted.

    Only SQLite: on PostgreSQL a VACUUM per request would cost too much, and
    the daily ``purge`` vacuums instead (``reclaim``).
    """
    session.info[_SCRUB] = True


@event.listens_for(Session, "after_commit")
def _checkpoint_if_asked(session):
    if session.info.pop(_SCRUB, False):
        engine = session.get_bind()
        if engine.dialect.name != "sqlite":
            return
        try:
            checkpoint(engine, wait_ms=REQUEST_CHECKPOINT_WAIT_MS)
        except OperationalError:
            # What was asked for is done and committed; the next checkpoint catches up.
            log.exception("the SQLite write-ahead log could not be checkpointed")


@event.listens_for(Session, "after_rollback")
def _nothing_to_scrub(session):
    session.info.pop(_SCRUB, None)


def checkpoint(engine, wait_ms=BUSY_TIMEOUT_MS):
    """Copy SQLite's write-ahead log into the database and truncate it. Returns False if readers kept it busy.

    The log keeps old copies of pages until it is truncated, secure_delete or
    not. Truncating waits, up to ``wait_ms``, for other processes to finish
    what they are reading; if they never all pause, it is done at the next
    withdrawal, erasure, purge or mail worker pass. Other databases, and an
    in-memory SQLite one, have no such log: True.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return True
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            busy, _pages, _copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if busy:
        log.warning("the SQLite write-ahead log could not be truncated: another connection was using it")
    return not busy


def vacuum(engine, tables):
    """VACUUM these PostgreSQL tables, so space that held deleted rows is marked for reuse.

    VACUUM cannot run inside a transaction: call it after the commit.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f"VACUUM {engine.dialect.identifier_preparer.quote(table)}")


def reclaim(engine, tables):
    """After deleting personal data: checkpoint SQLite's log, or VACUUM ``tables`` on PostgreSQL. Returns what was done."""
    if engine.dialect.name == "sqlite":
        return "checkpointed" if checkpoint(engine) else "checkpoint busy"
    if engine.dialect.name == "postgresql":
        vacuum(engine, tables)
        return "vacuumed " + ", ".join(tables)
    return "nothing to do"

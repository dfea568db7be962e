"""How SQLite connections behave, so several gunicorn workers can share one file.

- WAL journal: readers never wait for the writer, nor the writer for readers.
- ``busy_timeout``: a writer that finds another one writing waits for it
  instead of failing at once with "database is locked".
- ``secure_delete``: deleted content is zeroed, so a copied file does not
  hold what was erased.
- ``synchronous=NORMAL``: with WAL, a transaction that committed survives the
  process being killed; only a power cut can lose the last few, and it never
  corrupts the file.

Transactions keep the Python driver's own behaviour: it begins one just
before the first INSERT, UPDATE or DELETE. A transaction that begins by
writing waits its turn through ``busy_timeout``; one that had read first and
then found another writer's commit could not.

PostgreSQL needs none of this.
"""
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 10_000


@event.listens_for(Engine, "connect")
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


def truncate_wal(engine):
    """On SQLite, copy the write-ahead log into the database and cut it to zero bytes.

    Until then the log keeps the pages as they were before the latest
    changes: the outbox row of a sent email with its address, say, or a
    signer's plaintext that was just sealed. Returns False if a reader held
    it back (it is truncated at a later call); True otherwise.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return True
    with engine.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        conn.rollback()
    return not busy

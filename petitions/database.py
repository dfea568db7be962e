"""How SQLite connections behave, so several gunicorn workers can share one file.

- WAL journal: readers never wait for the writer, nor the writer for readers.
- ``busy_timeout``: a writer that finds another one writing waits for it
  instead of failing at once with "database is locked".
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
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

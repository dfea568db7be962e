"""Shared fixtures: an app per test on SQLite (or TEST_DATABASE_URL), a real SMTP server.

Tables are created once per session. Each test runs in one transaction on one
connection that is rolled back at its end: the application's commits release
savepoints inside it, as in Warehouse's suite. Tests marked ``commits``
(threads, subprocesses, other connections, VACUUM), and every test when
TEST_ROLLBACK=0, really commit, and their tables are emptied after them.
"""
import contextlib
import functools
import gc
import os

import pytest
from sqlalchemy import create_engine, event, inspect, inspection
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.pool import Pool

from petitions import create_app, models, sealing  # noqa: F401  (registers every table)
from petitions.config import normalise_database_url
from petitions.extensions import db, limiter

from . import factories
from .helpers import LANGS, empty_tables, free_port
from .smtp import SmtpServer


ROLLBACK = os.environ.get("TEST_ROLLBACK", "1") != "0"


def pytest_configure(config):
    os.environ.setdefault("PETITIONS_ENV", "testing")
    config.addinivalue_line(
        "markers", "commits: the test must really commit (threads, subprocesses, other connections, VACUUM); "
                   "its tables are emptied after it instead of its transaction being rolled back")


# Which test opened each database connection (by id), to name any left open when the tests end.
_opened_by = {}
_current_test = ["(outside any test)"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current_test[0] = item.nodeid
    yield
    _current_test[0] = "(between tests)"


@event.listens_for(Pool, "connect")
def _remember_opener(dbapi_connection, record):
    _opened_by[id(dbapi_connection)] = _current_test[0]


def pytest_sessionfinish(session):
    """Name each PostgreSQL connection still open, garbage or not, and the test that opened it.

    psycopg warns when one is garbage-collected unclosed, which pytest then
    reports at its very end with nothing to say whose it was.
    """
    try:
        import psycopg
    except ImportError:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for obj in gc.get_objects():
        if isinstance(obj, psycopg.Connection) and not obj.closed and reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"open PostgreSQL connection at the end: database {obj.info.dbname!r},"
                                f" opened by {_opened_by.get(id(obj), 'an unknown test')}")


def pytest_collection_modifyitems(items):
    # A live server, a throwaway PostgreSQL or a browser works on connections of its own.
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("faults"):
            item.add_marker(pytest.mark.commits)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    """Create every table once for the session (the migrations have their own tests)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        db.metadata.drop_all(conn)
        db.metadata.create_all(conn)
    yield
    engine.dispose()


class _SharedConnection(Connection):
    """The one connection of a rolled-back test, which the session also takes for an engine (``database.checkpoint``)."""

    @property
    def url(self):
        return self.engine.url

    def connect(self):
        return _Borrowed(self)


class _Borrowed:
    """``engine.connect()`` in a rolled-back test: the shared connection, which closing leaves open."""

    def __init__(self, connection):
        self._connection = connection

    def __enter__(self):
        return self._connection

    def __exit__(self, *exc):
        return False

    def close(self):
        pass

    def execution_options(self, **options):
        if "isolation_level" in options:
            # As the database would refuse VACUUM inside a transaction (the web wizard logs that and carries on).
            raise InvalidRequestError("this needs a connection outside the test's transaction: mark the test `commits`")
        return self._connection.execution_options(**options)

    def __getattr__(self, name):
        return getattr(self._connection, name)


class _EngineOverConnection:
    """What ``db.engine`` is in a rolled-back test: the app's engine, whose connections are the test's one.

    Code that writes in a transaction of its own (daily keys, sealing keys) gets
    a savepoint on it instead, so what it writes is rolled back with the test.
    """

    def __init__(self, engine, connection):
        self.engine = engine
        self.connection = connection

    def __getattr__(self, name):
        return getattr(self.engine, name)

    @property
    def _has_events(self):
        return self.engine._has_events

    @_has_events.setter
    def _has_events(self, value):
        # event.listen(db.engine, ...) stores its listener on the engine's dispatch but
        # sets this flag on the object it was given; the engine's connections read the engine's.
        self.engine._has_events = value

    def connect(self):
        return _Borrowed(self.connection)

    @contextlib.contextmanager
    def begin(self):
        with self.connection.begin_nested():
            yield self.connection


_RESTART_SEQUENCES = """
DO $$
DECLARE used record;
BEGIN
    FOR used IN SELECT schemaname, sequencename FROM pg_sequences
                WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
        EXECUTE 'ALTER SEQUENCE ' || quote_ident(used.schemaname) || '.' || quote_ident(used.sequencename)
                || ' RESTART';
    END LOOP;
END
$$"""


@inspection._inspects(_EngineOverConnection)
def _inspect_over_connection(engine):
    # sqlalchemy.inspect(db.engine) looks the type up, which a stand-in cannot pass as.
    return inspect(engine.connection)


class _OuterTransaction:
    """One connection in a transaction, shared by every app a test makes, rolled back at its end."""

    def __init__(self, engine):
        self.connection = _SharedConnection(engine)
        self.adopted = []
        self.sqlite = engine.dialect.name == "sqlite"
        if self.sqlite:
            # pysqlite begins a transaction only before a write, so SAVEPOINT would open (and
            # RELEASE commit) one of its own: take BEGIN into our hands (SQLAlchemy's pysqlite notes).
            dbapi = self.connection.connection.dbapi_connection
            self.isolation_level, dbapi.isolation_level = dbapi.isolation_level, None
        self.transaction = self.connection.begin()
        if self.sqlite:
            self.connection.exec_driver_sql("BEGIN")
        elif engine.dialect.name == "postgresql":
            # As TRUNCATE … RESTART IDENTITY did, ids start at 1 in every test (some tests name them).
            # nextval is never rolled back, but ALTER SEQUENCE is.
            self.connection.exec_driver_sql(_RESTART_SEQUENCES)

    def adopt(self, app):
        with app.app_context():
            engines = db.engines  # the extension's own mapping for this app
            engines[None] = _EngineOverConnection(engines[None], self.connection)
        self.adopted.append(app)

    def end(self):
        self.transaction.rollback()
        if self.sqlite:
            self.connection.connection.dbapi_connection.isolation_level = self.isolation_level
        self.connection.close()
        for app in self.adopted:
            with app.app_context():
                db.engines[None] = db.engines[None].engine


def _session_binds_to_connection(monkeypatch):
    """Sessions join the test's transaction: their commits release savepoints, their rollbacks go back to one."""
    factory = db.session.session_factory
    monkeypatch.setitem(factory.kw, "join_transaction_mode", "create_savepoint")
    get_bind = factory.class_.get_bind

    def bind_to_connection(self, *args, **kwargs):
        bind = get_bind(self, *args, **kwargs)
        return bind.connection if isinstance(bind, _EngineOverConnection) else bind

    monkeypatch.setattr(factory.class_, "get_bind", bind_to_connection)


@pytest.fixture
def make_app(request, database_url, _schema, tmp_path):
    """Build an app with extra settings; every app made in a test is cleaned up after it."""
    apps = []
    rollback = ROLLBACK and request.node.get_closest_marker("commits") is None
    outer = None
    # Not the test's own monkeypatch, which a test may undo halfway through.
    patches = pytest.MonkeyPatch()
    if rollback:
        _session_binds_to_connection(patches)

    def factory(**overrides):
        settings = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "MAILBOX_DIR": str(tmp_path / "mailbox"),
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "BASE_URL": "http://petitions.test",
            "MAIL_URL": "mailbox://",
            # Off whatever the shell exports: the tests about limits switch them on themselves.
            "RATELIMIT_ENABLED": False,
        }
        if os.environ.get("TEST_RATELIMIT_STORAGE_URI"):
            settings["RATELIMIT_STORAGE_URI"] = os.environ["TEST_RATELIMIT_STORAGE_URI"]
        settings.update(overrides)
        app = create_app("testing", settings)
        apps.append(app)
        if rollback and settings["SQLALCHEMY_DATABASE_URI"] == database_url:
            nonlocal outer
            if outer is None:
                with app.app_context():
                    outer = _OuterTransaction(db.engine)
            outer.adopt(app)
        return app

    yield factory
    sealing.forget_process_keys()  # their rows go with the tables
    try:
        for app in apps:
            with app.app_context():
                db.session.remove()
        if outer is not None:
            outer.end()
    finally:
        patches.undo()
    for app in apps:
        with app.app_context():
            if outer is None or app not in outer.adopted:
                empty_tables()
            if app.config.get("RATELIMIT_ENABLED"):
                limiter.reset()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_petition(app):
    """Create (and commit) a petition through the same service the CLI uses."""
    return functools.partial(factories.create_petition, app.config)


@pytest.fixture
def petition(make_petition):
    return make_petition(languages=tuple(LANGS))


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; ``.messages`` holds what it accepted."""
    server = SmtpServer("127.0.0.1", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    return app


@pytest.fixture
def make_member(app):
    """An account with ``role`` in the organisation named ``organisation`` (created if need be), committed."""
    return factories.create_member


@pytest.fixture
def add_signatures(app):
    """Store ``count`` confirmed signatures quickly (bypassing the flow, which has its own tests)."""
    return factories.add_signatures

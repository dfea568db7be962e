"""Both machines and their mail workers through PgBouncer in transaction mode, with DATABASE_PGBOUNCER on.

The test starts a throwaway PgBouncer (Debian's /usr/sbin/pgbouncer) on a
free port, in front of the PostgreSQL of TEST_DATABASE_URL, with fewer server
connections than there are client processes, so transactions of different
processes share server connections. Migrations and the petition import go
straight to PostgreSQL, as the README suggests.

Needs PostgreSQL, Redis and pgbouncer: `.ci/multi-machine` installs pgbouncer
and sets TEST_DATABASE_URL and TEST_RATELIMIT_STORAGE_URI.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from petitions import config, create_app
from petitions.config import normalise_database_url
from petitions.database import engine_options
from petitions.extensions import db

from .helpers import free_port
from .test_two_machines import (
    PG_URL,
    SECRET,
    Site,
    confirmed_rows,
    fresh_database,
    needs_services,
    sign_alternately_and_confirm_on_the_other,
    sign_and_confirm_concurrently,
)

PGBOUNCER = "/usr/sbin/pgbouncer"
# Server connections per database: fewer than the six client processes (two machines of two workers, two mail workers).
POOL_SIZE = 2

NEEDS = [
    *needs_services,
    pytest.mark.skipif(not os.path.exists(PGBOUNCER),
                       reason="needs Debian's pgbouncer (apt-get install pgbouncer); .ci/multi-machine installs it"),
]


def needs_pgbouncer(test):
    for mark in NEEDS:
        test = mark(test)
    return test

class PgBouncer:
    """A PgBouncer in transaction mode on a free port, forwarding every database to the server of ``server_url``."""

    def __init__(self, server_url, pool_size):
        server = make_url(normalise_database_url(server_url))
        self.port = free_port()
        # Its own directory, readable by the postgres user: PgBouncer refuses to run as root.
        self.dir = tempfile.mkdtemp(prefix="petitions-pgbouncer-")
        self.as_user = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        with open(os.path.join(self.dir, "userlist.txt"), "w") as users:
            users.write(f'"{server.username or "postgres"}" ""\n')
        self.ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(self.ini, "w") as ini:
            ini.write(f"""[databases]
* = host={server.host or "127.0.0.1"} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
""")
        self.user = server.username or "postgres"
        self.process = None

    def start(self):
        self.log = open(os.path.join(self.dir, "log"), "a")
        self.process = subprocess.Popen([*self.as_user, PGBOUNCER, self.ini], start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("pgbouncer did not start: " + self.read_log())

    def url(self, database):
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def read_log(self):
        with open(os.path.join(self.dir, "log"), errors="replace") as log:
            return log.read()[-3000:]

    def stop(self):
        try:
            if self.process is not None and self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
        finally:
            if self.process is not None:
                self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def database():
    engine = create_engine(normalise_database_url(PG_URL))
    try:
        engine.connect().close()
    except OperationalError as error:
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is down: {error.orig}")
    finally:
        engine.dispose()
    with fresh_database(PG_URL, prefix="machines_bouncer") as url:
        yield url


@pytest.fixture(scope="module")
def bouncers(database):
    started = []

    def start(pool_size=POOL_SIZE):
        bouncer = PgBouncer(PG_URL, pool_size)
        started.append(bouncer)
        return bouncer.start()

    yield start
    for bouncer in started:
        bouncer.stop()


def _server_connections(database_url):
    """Connections to this database that PostgreSQL holds, apart from the one asking."""
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    finally:
        engine.dispose()


@needs_pgbouncer
def test_signing_confirming_and_counting_through_pgbouncer_in_transaction_mode(database, bouncers,
                                                                               tmp_path_factory, monkeypatch):
    # The machines read the setting from the environment, like every other.
    monkeypatch.setenv("DATABASE_PGBOUNCER", "true")
    assert config.load("production", {"SECRET_KEY": SECRET, "MAIL_URL": "smtp://127.0.0.1:25"})["DATABASE_PGBOUNCER"]

    bouncer = bouncers()
    site = Site(tmp_path_factory.mktemp("bouncer"))
    try:
        site.start(database, web_database_url=bouncer.url(make_url(database).database),
                   extra_env={"DATABASE_PGBOUNCER": "true"})
        before = site.counts()[0]
        sign_alternately_and_confirm_on_the_other(site, 6)
        total = sign_and_confirm_concurrently(site, 16)
        assert total == before + 22
        assert confirmed_rows(database) == total
        # Six processes, each with its own pool, shared at most POOL_SIZE server connections.
        assert _server_connections(database) <= POOL_SIZE
        assert "prepared statement" not in site.logs()
    finally:
        site.stop()


def _run_one_query_on_two_connections(engine, times=8):
    """The same query, in turn on two pooled connections, each run its own transaction as a request's would."""
    first, second = engine.connect(), engine.connect()
    try:
        for i in range(times):
            for conn in (first, second):
                assert conn.execute(text("SELECT CAST(:n AS integer)"), {"n": i}).scalar() == i
                conn.commit()
    finally:
        first.close()
        second.close()


def _app_on(url, tmp_path, **settings):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                                  "SECRET_KEY": "pgbouncer-test-secret-key-0123456789abcdefXYZ",
                                  "INSTANCE_DIR": str(tmp_path), "MAIL_URL": "mailbox://", **settings})


@needs_pgbouncer
def test_without_the_setting_prepared_statements_break_as_psycopg_says(database, bouncers, tmp_path):
    # One server connection: two clients' transactions then always meet on it, so this fails every time.
    bouncer = bouncers(pool_size=1)
    url = bouncer.url(make_url(database).database)

    app = _app_on(url, tmp_path)
    with app.app_context():
        try:
            with pytest.raises(DBAPIError) as failure:
                _run_one_query_on_two_connections(db.engine)
        finally:
            db.engine.dispose()
    # psycopg prepares a query after its fifth run on a connection (prepare_threshold=5), naming it _pg3_0
    # on each connection; the second client's name is taken on the shared server connection (42P05), or a
    # client's statement is missing from the one it is handed (26000).
    assert failure.value.orig.sqlstate in {"42P05", "26000"}, failure.value
    assert "_pg3_" in str(failure.value.orig)

    app = _app_on(url, tmp_path, DATABASE_PGBOUNCER=True)
    with app.app_context():
        try:
            with db.engine.connect() as conn:
                assert conn.connection.driver_connection.prepare_threshold is None
            _run_one_query_on_two_connections(db.engine)
        finally:
            db.engine.dispose()


def test_the_setting_adds_prepare_threshold_to_what_postgresql_connections_get_and_nothing_else():
    options = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    postgres = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/d", "SQLALCHEMY_ENGINE_OPTIONS": options}
    assert engine_options({**postgres, "DATABASE_PGBOUNCER": True}) == {
        "pool_pre_ping": True, "connect_args": {"connect_timeout": 5, "prepare_threshold": None}}
    assert engine_options(postgres) == options
    assert engine_options({**postgres, "DATABASE_PGBOUNCER": False}) == options
    # SQLite's driver would refuse an argument it does not know.
    sqlite = {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.sqlite", "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}}
    assert engine_options({**sqlite, "DATABASE_PGBOUNCER": True}) == {"pool_pre_ping": True}
    assert options == {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}  # not changed in place

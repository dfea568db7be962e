"""A pooled PostgreSQL connection is pinged only after sitting idle (petitions/database.py).

Runs against TEST_DATABASE_URL's PostgreSQL (.ci/run's second pass); SQLite has nothing to ping.
"""
import os
import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from petitions.extensions import db

pytestmark = [
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL at TEST_DATABASE_URL"),
    pytest.mark.commits,
]


def _backend_of(app):
    """The server process behind the pooled connection the app's session uses; returned to the pool."""
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.commit()
        db.session.remove()
    return pid


def _terminate(database_url, pid):
    engine = create_engine(database_url)
    with engine.begin() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    engine.dispose()


def test_a_connection_closed_while_idle_is_replaced_before_use(make_app, database_url):
    app = make_app(DATABASE_PING_IDLE_SECONDS=0.2)
    first = _backend_of(app)
    _terminate(database_url, first)
    time.sleep(0.4)  # idle longer than the setting: the checkout pings, finds it closed, connects afresh
    with app.app_context():
        assert db.session.scalar(select(1)) == 1
        assert db.session.scalar(text("SELECT pg_backend_pid()")) != first
        db.session.remove()


def test_a_connection_used_a_moment_ago_is_not_pinged_and_one_failure_clears_the_pool(make_app, database_url):
    app = make_app(DATABASE_PING_IDLE_SECONDS=60)
    pings = []
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dialect.do_ping = lambda connection: pings.append(connection) or True
    first = _backend_of(app)
    assert _backend_of(app) == first and pings == [], "neither a new connection nor one just returned is pinged"
    _terminate(database_url, first)
    with app.app_context():
        # Nothing checked it: the request that meets the closed connection fails (the 503 page, in a request)...
        with pytest.raises(OperationalError):
            db.session.scalar(select(1))
        db.session.rollback()
        db.session.remove()
    with app.app_context():
        # ...and the next one connects afresh, without anything being restarted.
        assert db.session.scalar(select(1)) == 1
        db.session.remove()

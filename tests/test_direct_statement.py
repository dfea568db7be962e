"""A hot statement handed to psycopg directly (database.DirectStatement) gives what SQLAlchemy gives.

Runs against TEST_DATABASE_URL's PostgreSQL (.ci/run's second pass): on
SQLite a DirectStatement is SQLAlchemy's own execution, so there is nothing
to compare.
"""
import os
from datetime import timedelta

import pytest
from sqlalchemy import Integer, bindparam, create_engine, func, literal, select, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from petitions.database import DirectStatement
from petitions.extensions import db
from petitions.models import Signature, utcnow
from petitions.signing import services

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="needs PostgreSQL at TEST_DATABASE_URL")

_signatures = Signature.__table__


def _ids(petition):
    return db.session.scalars(select(Signature.id).where(Signature.petition_id == petition.id)
                              .order_by(Signature.id)).all()


def test_the_press_row_is_the_one_sqlalchemy_reads_with_every_kind_of_value(app, petition, add_signatures):
    add_signatures(petition, 2, status="confirmed")
    # Bytes, a missing city, both booleans, Cyrillic text: each column type the press reads.
    add_signatures(petition, 1, status="pending", sealed=b"\x00sealed\xff", city=None, show_name=True,
                   wants_updates=True, full_name="Ада Лавлейс", public_name="initials", language="ru")
    add_signatures(petition, 1, status="pending")
    for signature_id in _ids(petition):
        direct = services._PRESS.first(db.session, {"signature_id": signature_id})
        through_sqlalchemy = db.session.execute(services._PRESS.statement, {"signature_id": signature_id}).first()
        assert direct._fields == through_sqlalchemy._fields
        assert tuple(direct) == tuple(through_sqlalchemy)
        assert [type(value) for value in direct] == [type(value) for value in through_sqlalchemy]
    assert services._PRESS.first(db.session, {"signature_id": -1}) is None
    assert direct.confirmed == 2


def test_confirming_directly_converts_times_both_ways_as_sqlalchemy_does(app, petition, add_signatures):
    reminded = (utcnow() - timedelta(hours=3)).replace(microsecond=123456)
    add_signatures(petition, 1, status="pending", reminder_sent_at=reminded)
    (signature_id,) = _ids(petition)
    press = services._PRESS.first(db.session, {"signature_id": signature_id})
    now = utcnow()
    values = {"signature_id": signature_id, "now": now, "value": None,
              **{f"read_{name}": getattr(press, name) for name in services._DETAILS}}
    with pytest.raises(ValueError):  # the column type's own check ran: it takes aware times only
        services._CONFIRM_AND_LIFT.first(db.session, {**values, "now": now.replace(tzinfo=None)})
    changed = services._CONFIRM_AND_LIFT.first(db.session, values)
    assert changed.reminder_sent_at == reminded and changed.reminder_sent_at.tzinfo is not None  # aware UTC back
    stored = db.session.execute(select(_signatures.c.status, _signatures.c.confirmed_at)
                                .where(_signatures.c.id == signature_id)).one()
    assert stored == ("confirmed", now)  # the aware time stored as naive UTC, through the column's own type
    assert services._CONFIRM_AND_LIFT.first(db.session, values) is None, "confirmed once: no row the second time"


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(app, petition, add_signatures):
    add_signatures(petition, 2, status="confirmed")
    first, second = _ids(petition)
    clash = DirectStatement(_signatures.update().where(_signatures.c.id == bindparam("id"))
                            .values(email_hash=bindparam("hash")).returning(_signatures.c.id))
    taken = db.session.scalar(select(_signatures.c.email_hash).where(_signatures.c.id == first))
    with pytest.raises(IntegrityError):
        clash.first(db.session, {"id": second, "hash": taken})


def test_only_plain_parameters_are_taken(app):
    listed = DirectStatement(select(_signatures.c.id).where(_signatures.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError):
        listed.first(db.session, {"ids": [1, 2]})
    escaped = DirectStatement(select(_signatures.c.id).where(_signatures.c.id == bindparam("id%s")))
    with pytest.raises(ValueError):
        escaped.first(db.session, {"id%s": 1})


def test_plans_are_kept_with_the_dialect_and_go_with_its_engine(app, database_url):
    import gc
    import weakref

    one = DirectStatement(select(func.pg_backend_pid().label("pid")))
    engine = create_engine(database_url)
    with Session(engine) as session:
        assert one.first(session, {}).pid
    gone = weakref.ref(engine.dialect)
    engine.dispose()
    del engine, session
    gc.collect()
    assert gone() is None


def test_the_engines_hide_parameters_keeps_them_out_of_the_error(app, database_url):
    divide = DirectStatement(select((literal(1) / bindparam("divisor", type_=Integer)).label("n")))
    with pytest.raises(DataError) as shown:  # division by zero: PostgreSQL's own message names no value
        divide.first(db.session, {"divisor": 0})
    assert "'divisor': 0" in str(shown.value)  # SQLAlchemy's default: the parameters are in the message
    db.session.rollback()
    engine = create_engine(database_url, hide_parameters=True)
    try:
        with Session(engine) as session, pytest.raises(DataError) as hidden:
            divide.first(session, {"divisor": 0})
        assert "'divisor': 0" not in str(hidden.value) and "hidden due to hide_parameters" in str(hidden.value)
    finally:
        engine.dispose()


@pytest.mark.commits
def test_a_connection_lost_under_a_direct_statement_empties_the_pool_and_the_next_requests_connect_afresh(
        make_app, database_url):
    app = make_app(DATABASE_PING_IDLE_SECONDS=60)  # nothing pings them first: the statement meets the loss
    one = DirectStatement(select(func.pg_backend_pid().label("pid")))
    with app.app_context():
        with db.engine.connect() as a, db.engine.connect() as b:  # two connections in the pool
            pids = {a.scalar(select(func.pg_backend_pid())), b.scalar(select(func.pg_backend_pid()))}
    engine = create_engine(database_url)
    with engine.begin() as conn:  # PostgreSQL restarted, say: both gone
        for pid in pids:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    engine.dispose()
    with app.app_context():
        with pytest.raises(OperationalError) as raised:  # SQLAlchemy's, which the 503 page answers
            one.first(db.session, {})
        assert raised.value.connection_invalidated
        db.session.rollback()
        db.session.remove()
        # Only the one request failed: the other dead connection went with the pool.
        with db.engine.connect() as a, db.engine.connect() as b:
            now = {a.scalar(select(func.pg_backend_pid())), b.scalar(select(func.pg_backend_pid()))}
        assert len(now) == 2 and not now & pids
        assert one.first(db.session, {}).pid not in pids
        db.session.remove()

"""One authority for states: the constants, the transition rules and the CHECK constraints of migration 0012."""
import re
from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from petitions import create_app
from petitions.extensions import db
from petitions.models import Petition, PetitionKind, PetitionStatus, StatusChangeRefused, set_status

from .test_migrations import empty_database_url  # noqa: F401  (a fixture)

AT = datetime(2026, 11, 24, 15, 0).isoformat(" ")
CHECKS = {
    "petitions": {"ck_petitions_status", "ck_petitions_kind"},
    "signatures": {"ck_signatures_status"},
    "memberships": {"ck_memberships_role"},
    "invitations": {"ck_invitations_role"},
    "letter_signatories": {"ck_letter_signatories_status", "ck_letter_signatories_kind"},
}


def _petition(conn, slug, status="open", kind="petition"):
    conn.execute(text(
        "INSERT INTO petitions (slug, kind, status, organisation_name, primary_language, goal, next_goal,"
        " paper_count, expired_unconfirmed, created_at, updated_at) VALUES"
        " (:slug, :kind, :status, 'Org', 'en', 100, 100, 0, 0, :at, :at)"), {"slug": slug, "kind": kind, "status": status,
                                                                            "at": AT})
    return conn.scalar(text("SELECT id FROM petitions WHERE slug = :slug"), {"slug": slug})


def _signature(conn, petition_id, status, country="DE"):
    conn.execute(text(
        "INSERT INTO signatures (petition_id, email, full_name, country, language, show_name, public_name,"
        " wants_updates, status, confirmation_sends, created_at, confirmed_at)"
        " VALUES (:p, '', 'Listed', :country, 'en', true, 'full', false, :status, 1, :at, :confirmed)"),
        {"p": petition_id, "country": country, "status": status, "at": AT,
         "confirmed": AT if status == "confirmed" else None})


def _status_tally(conn, petition_id):
    return dict(conn.execute(text(
        "SELECT key, SUM(count) FROM signature_tallies WHERE petition_id = :p AND dimension = 'status'"
        " GROUP BY key HAVING SUM(count) <> 0"), {"p": petition_id}).all())


def _checks(engine):
    found = inspect(engine)
    return {table: {c["name"] for c in found.get_check_constraints(table)} & names for table, names in CHECKS.items()}


def test_the_constants_are_the_only_kinds_and_the_templates_read_them(app):
    assert PetitionKind.ALL == ("petition", "letter")
    assert Petition(kind=PetitionKind.LETTER).is_letter and not Petition(kind=PetitionKind.PETITION).is_letter
    from petitions.api.openapi import SCHEMAS

    assert SCHEMAS["Kind"]["enum"] == ["petition", "letter"]
    assert SCHEMAS["Status"]["enum"] == ["open", "closed", "delivered"]


@pytest.mark.parametrize("start, wanted", [("delivered", "draft"), ("delivered", "open"), ("open", "draft"),
                                           ("draft", "closed"), ("open", "archived")])
def test_set_status_refuses_what_the_transitions_do_not_allow(start, wanted):
    petition = Petition(status=start)
    with pytest.raises(StatusChangeRefused):
        set_status(petition, wanted)
    assert petition.status == start


def test_set_status_follows_the_transitions_and_keeps_closed_at():
    petition = Petition()
    set_status(petition, PetitionStatus.OPEN)  # a petition being made starts where it is told
    set_status(petition, PetitionStatus.CLOSED)
    closed = petition.closed_at
    assert closed is not None
    set_status(petition, PetitionStatus.DELIVERED)
    assert petition.closed_at == closed
    assert PetitionStatus.TRANSITIONS[PetitionStatus.DELIVERED] == ()


def test_the_models_create_the_named_checks_and_the_database_refuses_unknown_values(app):
    assert _checks(db.session.connection()) == CHECKS
    for column, value in [("status", "archived"), ("kind", "leaflet")]:
        with pytest.raises(IntegrityError, match=f"ck_petitions_{column}"):
            with db.session.begin_nested():
                _petition(db.session, f"bad-{column}", **{column: value})


def test_0012_adds_the_checks_and_keeps_the_tally_triggers_and_the_partial_index(empty_database_url, tmp_path):  # noqa: F811
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0011_signature_tallies")
        with db.engine.begin() as conn:
            petition_id = _petition(conn, "p")
            for status in ("confirmed", "confirmed", "pending", "withdrawn"):
                _signature(conn, petition_id, status)
        upgrade()
        assert _checks(db.engine) == CHECKS
        indexes = {ix["name"]: ix for ix in inspect(db.engine).get_indexes("signatures")}
        assert "ix_signatures_public_recent" in indexes
        with db.engine.begin() as conn:
            assert _status_tally(conn, petition_id) == {"confirmed": 2, "pending": 1, "withdrawn": 1}
            # The triggers still count: a new row, a confirmation and a deletion all move the tallies.
            _signature(conn, petition_id, "pending")
            conn.execute(text("UPDATE signatures SET status = 'confirmed', confirmed_at = :at WHERE status = 'pending'"),
                         {"at": AT})
            conn.execute(text("DELETE FROM signatures WHERE status = 'withdrawn'"))
            assert _status_tally(conn, petition_id) == {"confirmed": 4}
            if db.engine.dialect.name == "sqlite":
                partial = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ix_signatures_public_recent'"))
                assert "WHERE show_name = 1 AND status = 'confirmed'" in partial
                # The public list's query names the index (INDEXED BY): it fails unless the index can answer it.
                listed = conn.execute(text(
                    "SELECT country FROM signatures INDEXED BY ix_signatures_public_recent WHERE petition_id = :p"
                    " AND show_name = 1 AND status = 'confirmed' ORDER BY confirmed_at DESC LIMIT 10"),
                    {"p": petition_id}).scalars().all()
                assert listed == ["DE"] * 4
        with pytest.raises(IntegrityError, match="ck_signatures_status"):
            with db.engine.begin() as conn:
                _signature(conn, petition_id, "maybe")
        downgrade(revision="0011_signature_tallies")
        assert not any(_checks(db.engine).values())
        with db.engine.begin() as conn:
            _signature(conn, petition_id, "pending")
            assert _status_tally(conn, petition_id) == {"confirmed": 4, "pending": 1}
        db.engine.dispose()


def test_0012_stops_before_changing_anything_when_rows_hold_unknown_values(empty_database_url, tmp_path, caplog):  # noqa: F811
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0011_signature_tallies")
        with db.engine.begin() as conn:
            _petition(conn, "a", status="archived")
            _petition(conn, "b", status="archived")
            good = _petition(conn, "c")
            _signature(conn, good, "confirmed")
            _signature(conn, good, "maybe")
        with pytest.raises(SystemExit):  # flask_migrate logs the error and exits
            upgrade()
        assert re.search(r"(?s)petitions\.status: 2 row\(s\) hold 'archived'.*"
                         r"signatures\.status: 1 row\(s\) hold 'maybe'", caplog.text)
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0011_signature_tallies"
            assert conn.scalar(text("SELECT COUNT(*) FROM petitions WHERE status = 'archived'")) == 2
            assert _status_tally(conn, good) == {"confirmed": 1, "maybe": 1}
        assert not any(_checks(db.engine).values())
        db.engine.dispose()

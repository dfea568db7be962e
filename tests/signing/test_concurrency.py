"""Concurrent signers and confirmations: the database keeps the count exact."""
import pytest
from sqlalchemy import func, select

from petitions import counting
from petitions.extensions import db
from petitions.models import GoalMilestone, Signature, SignatureStatus, SignatureTally, tally
from petitions.signing import services

from ..helpers import last_confirm_path, petition_data, run_in_threads


def make_petition_in(app, **data):
    from petitions.organiser.services import import_petition

    petition, _ = import_petition(petition_data(**data), app.config["LANGUAGES"])
    db.session.commit()
    return petition


def _details(email):
    return services.SignerDetails(full_name="Concurrent Signer", email=email, country="DE", city=None,
                                  show_name=False, wants_updates=False)


@pytest.mark.commits
def test_concurrent_submissions_with_one_address_store_one_signature(app, petition):
    petition_id = petition.id

    def submit(i):
        with app.app_context():
            target = db.session.get(type(petition), petition_id)
            services.sign(target, _details("SAME@example.org" if i % 2 else "same@example.org"), "en")
            db.session.commit()

    errors = run_in_threads(submit, 8)
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


@pytest.mark.commits
def test_confirmations_from_32_connections_at_once_keep_the_count_exact(make_app):
    """Several hundred confirmations through the real request path, 32 database connections together.

    On PostgreSQL (TEST_DATABASE_URL) they really run side by side; the tally
    triggers add each to the shard its signature's id picks, in its own transaction.
    """
    signers, workers = 320, 32
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": workers, "max_overflow": 4, "pool_pre_ping": True})
    with app.app_context():
        petition = make_petition_in(app, goal=100)
        for i in range(signers):
            services.sign(petition, _details(f"p{i}@example.org"), "en")
        db.session.commit()
        paths = [last_confirm_path(f"p{i}@example.org") for i in range(signers)]
        petition_id = petition.id

    def confirm_share(worker):
        client = app.test_client()
        for path in paths[worker::workers]:
            assert client.post(path).status_code == 200  # the confirmation button

    assert run_in_threads(confirm_share, workers) == []
    with app.app_context():
        confirmed = db.session.scalar(
            select(func.count()).select_from(Signature).where(Signature.status == SignatureStatus.CONFIRMED)
        )
        assert confirmed == signers
        assert counting.confirmed_count(petition_id) == signers
        # Spread over the shards, not queued on one row (SQLite has one writer and one shard).
        used = set(db.session.scalars(select(SignatureTally.shard).where(
            SignatureTally.petition_id == petition_id, SignatureTally.dimension == tally.STATUS,
            SignatureTally.key == SignatureStatus.CONFIRMED, SignatureTally.count > 0)))
        if db.engine.dialect.name == "postgresql":
            assert len(used) > 1
        else:
            assert used == {0}
        # Each goal passed on the way (100, 200) was recorded exactly once.
        goals = db.session.scalars(select(GoalMilestone.goal).where(GoalMilestone.petition_id == petition_id)).all()
        assert sorted(goals) == [100, 200]
    shown = app.test_client().get("/api/v1/petitions/free-them/count").get_json()
    assert shown["signature_count"] == signers
    assert f"{signers} of 500" in app.test_client().get("/en/p/free-them").get_data(as_text=True)


def test_reading_the_count_reads_the_tallies_never_the_signatures(app, petition, add_signatures):
    """So it costs the same at 100 signatures as at a million."""
    from sqlalchemy import event

    add_signatures(petition, 100)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert app.test_client().get("/api/v1/petitions/free-them/count").get_json()["signature_count"] == 100
        app.test_client().get("/en/p/free-them")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    counting_statements = [s for s in statements if "signature_tallies" in s]
    assert counting_statements
    assert not any("count(" in s.lower() and "FROM signatures" in s for s in statements)

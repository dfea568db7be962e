"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from petitions import create_app
from petitions.extensions import db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new empty database of the same kind the suite runs on."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url, tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"petitions", "signatures", "signature_tallies", "outbox_messages"} <= tables
        assert "signature_counters" not in tables  # the tallies are the only count since 0020
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_every_migration_has_a_docstring_and_a_downgrade():
    folder = os.path.join(os.path.dirname(__file__), "..", "migrations", "versions")
    for name in os.listdir(folder):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                source = handle.read()
            assert source.startswith('"""') and "def downgrade():" in source, name


def test_0003_gives_existing_petitions_an_organisation_named_as_they_name_theirs(empty_database_url, tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0002_privacy")
        with db.engine.begin() as conn:
            for slug, org, status in [("a", "Viasna", "open"), ("b", "Viasna", "draft"), ("c", "", "closed")]:
                conn.execute(text(
                    "INSERT INTO petitions (slug, kind, status, organisation_name, primary_language, goal, next_goal,"
                    " created_at, updated_at) VALUES (:slug, 'petition', :status, :org, 'en', 10, 10,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"), {"slug": slug, "org": org, "status": status})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT p.slug, o.name, p.published_at IS NOT NULL FROM petitions p"
                " JOIN organisations o ON o.id = p.organisation_id ORDER BY p.slug")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [("a", "Viasna", True), ("b", "Viasna", False), ("c", "Organisation of c", True)]


def test_0005_will_not_go_back_while_mail_exists_only_as_facts(empty_database_url, tmp_path, caplog):
    from flask_migrate import downgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        insert = text("INSERT INTO outbox_messages (kind, recipient, context, subject, text_body, html_body,"
                      " attempts, created_at, next_attempt_at) VALUES ('erase', 'a@example.org', :context, '', '', '',"
                      " 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
        with db.engine.begin() as conn:
            conn.execute(insert, {"context": '{"language": "en"}'})
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error and exits
            downgrade(revision="0004_letters")
        assert "1 queued messages are not rendered yet" in caplog.text
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE outbox_messages SET sent_at = '2026-01-01 00:01:00', context = NULL"))
        downgrade(revision="0004_letters")
        columns = {c["name"] for c in inspect(db.engine).get_columns("outbox_messages")}
        db.engine.dispose()
    assert "context" not in columns


def _old_petition(slug, kind):
    """A published petition of an organisation, written in SQL that every revision from 0003 on accepts."""
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (name, created_at) VALUES ('Viasna', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO petitions (slug, kind, status, organisation_name, primary_language, goal, next_goal,"
            " organisation_id, published_at, created_at, updated_at) VALUES (:slug, :kind, 'open', 'Viasna', 'en',"
            " 10, 10, (SELECT id FROM organisations WHERE name = 'Viasna'), '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"), {"slug": slug, "kind": kind})
        return conn.scalar(text("SELECT id FROM petitions WHERE slug = :slug"), {"slug": slug})


def test_0008_gives_existing_letter_signatories_their_country_as_a_list_and_refuses_to_go_back_without_one(
        empty_database_url, tmp_path):
    from flask_migrate import downgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0006_hardening")
        # SQL, not the models: they describe the newest schema, which an old revision does not have.
        letter_id = _old_petition("l", "letter")
        insert = text(
            "INSERT INTO letter_signatories (petition_id, kind, name, name_key, country, title, website, contact_name,"
            " contact_role, email, language, status, source, moderation_note, created_at)"
            " VALUES (:pid, 'organisation', :name, :name, :country, '', '', '', '', '', 'en', 'approved', 'import', '',"
            " '2026-01-01 00:00:00')")
        with db.engine.begin() as conn:
            conn.execute(insert, {"pid": letter_id, "name": "Viasna", "country": "BY"})
        db.session.remove()
        upgrade()
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT name, country, countries, region FROM letter_signatories")).all()
            conn.execute(text("UPDATE letter_signatories SET country = NULL, countries = ''"))
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error and exits
            downgrade(revision="0007_message_ids")
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [("Viasna", "BY", "BY", "")]


def test_0009_keys_address_hashes_per_petition_and_keeps_the_public_names(empty_database_url, tmp_path):
    # From 0006, so 0008 (letters' countries) and 0009 (sealing) run in the order they are chained.
    from petitions.address_hashes import email_hash, petition_email_hash

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    key = app.config["HASH_KEY"]
    with app.app_context():
        upgrade(revision="0006_hardening")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO petitions (slug, kind, status, organisation_name, primary_language, goal, next_goal,"
                " created_at, updated_at) VALUES ('a', 'petition', 'open', 'Viasna', 'en', 10, 10,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            petition_id = conn.scalar(text("SELECT id FROM petitions"))
            for address, name, show, form in [("ada@example.org", "Ada King Lovelace", True, "initials"),
                                              ("bo@example.org", "Bo Plain", False, "full")]:
                conn.execute(text(
                    "INSERT INTO signatures (petition_id, email_hash, email, full_name, country, language, show_name,"
                    " public_name, wants_updates, status, confirmation_sends, created_at) VALUES (:p, :h, :e, :n,"
                    " 'GB', 'en', :s, :f, false, 'confirmed', 1, '2026-01-01 00:00:00')"),
                    {"p": petition_id, "h": email_hash(key, address), "e": address, "n": name, "s": show, "f": form})
            conn.execute(text(
                "INSERT INTO petitions (slug, kind, status, organisation_name, primary_language, goal, next_goal,"
                " created_at, updated_at) VALUES ('l', 'letter', 'open', 'Viasna', 'en', 10, 10,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            letter_id = conn.scalar(text("SELECT id FROM petitions WHERE slug = 'l'"))
            conn.execute(text(
                "INSERT INTO letter_signatories (petition_id, kind, name, name_key, country, title, website,"
                " contact_name, contact_role, email, email_hash, language, status, source, moderation_note,"
                " created_at) VALUES (:p, 'organisation', 'Viasna', 'viasna', 'BY', '', '', 'Ada', '',"
                " 'ada@example.org', :h, 'en', 'approved', 'form', '', '2026-01-01 00:00:00')"),
                {"p": letter_id, "h": email_hash(key, "ada@example.org")})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT email, email_hash, shown_name FROM signatures ORDER BY id")).all()
            sign_ons = conn.execute(text("SELECT email_hash, country, countries FROM letter_signatories")).all()
        db.engine.dispose()
    assert [(r.email_hash, r.shown_name) for r in rows] == [
        (petition_email_hash(key, petition_id, "ada@example.org"), "A. K. L."),
        (petition_email_hash(key, petition_id, "bo@example.org"), None),
    ]
    assert [tuple(r) for r in sign_ons] == [(petition_email_hash(key, letter_id, "ada@example.org"), "BY", "BY")]


def test_0010_dates_earlier_updates_as_sent_and_will_not_go_back_while_a_draft_exists(empty_database_url, tmp_path):
    from flask_migrate import downgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0009_sealed_signer_data")
        petition_id = _old_petition("p", "petition")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO petition_updates (petition_id, created_at, mailing_after_id, mailed_count)"
                              " VALUES (:pid, '2026-03-01 12:00:00', 0, 0)"), {"pid": petition_id})
        upgrade()
        with db.engine.begin() as conn:
            sent = conn.scalar(text("SELECT sent_at FROM petition_updates"))
            conn.execute(text("INSERT INTO petition_updates (petition_id, created_at, mailing_after_id, mailed_count)"
                              " VALUES (:pid, '2026-03-02 12:00:00', 0, 0)"), {"pid": petition_id})
        with pytest.raises(SystemExit):  # older code would publish and mail the draft
            downgrade(revision="0009_sealed_signer_data")
        db.engine.dispose()
    assert str(sent).startswith("2026-03-01 12:00:00")


def test_0020_going_back_fills_the_counter_rows_from_the_tallies_and_coming_back_keeps_the_count(
        empty_database_url, tmp_path):
    from flask_migrate import downgrade

    from petitions import counting

    from . import factories

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        petition = factories.create_petition()
        other = factories.create_petition(slug="other")
        factories.add_signatures(petition, 37)
        factories.add_signatures(petition, 5, status="pending")
        petition_id, other_id = petition.id, other.id
        db.session.remove()
        downgrade(revision="0019_subscribers")
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT petition_id, shard, count FROM signature_counters"
                                     " ORDER BY petition_id, shard")).all()
            # The older code adds to a random shard of its 16 with an UPDATE that must find its row.
            added = conn.execute(text("UPDATE signature_counters SET count = count + 0"
                                      " WHERE petition_id = :p AND shard = 15"), {"p": other_id}).rowcount
        upgrade()
        count, other_count = counting.confirmed_count(petition_id), counting.confirmed_count(other_id)
        tables = set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()
    assert [(p, shard) for p, shard, _ in rows] == [(p, shard) for p in (petition_id, other_id) for shard in range(16)]
    assert sum(n for p, _, n in rows if p == petition_id) == 37 and all(n == 0 for p, _, n in rows if p == other_id)
    assert added == 1
    assert (count, other_count) == (37, 0) and "signature_counters" not in tables

"""Migration 0018 gives every existing organisation a page address made from its name."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from petitions import create_app
from petitions.extensions import db

from ..test_migrations import empty_database_url  # noqa: F401  (the fixture: a new database of the suite's kind)

NAMES = ["Viasna", "Правозащитный центр «Весна»", "VIASNA!", "人权观察", "Free Press – Вольная прэса"]


def test_0018_backfills_a_unique_address_for_each_organisation_and_goes_back(empty_database_url, tmp_path):  # noqa: F811
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0017_integrity")
        with db.engine.begin() as conn:
            for name in NAMES:
                conn.execute(text("INSERT INTO organisations (name, created_at) VALUES (:name, '2026-01-01 00:00:00')"),
                             {"name": name})
        upgrade(revision="0018_organisation_pages")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, name, slug, primary_language FROM organisations ORDER BY id")).all()
        chinese_id = next(r.id for r in rows if r.name == "人权观察")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO statements (organisation_id, status, primary_language, statement_date,"
                              " created_at, updated_at) VALUES (:org, 'draft', 'en', '2026-01-01',"
                              " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"), {"org": rows[0].id})
        downgrade(revision="0017_integrity")
        with db.engine.connect() as conn:
            after = conn.execute(text("SELECT name FROM organisations ORDER BY id")).scalars().all()
        db.engine.dispose()
    assert [(r.name, r.slug, r.primary_language) for r in rows] == [
        ("Viasna", "viasna", "en"),
        ("Правозащитный центр «Весна»", "pravozashchitnyi-tsentr-vesna", "en"),
        ("VIASNA!", "viasna-2", "en"),
        ("人权观察", f"organisation-{chinese_id}", "en"),
        ("Free Press – Вольная прэса", "free-press-volnaia-presa", "en"),
    ]
    assert after == NAMES

"""The bottom layers stand alone: extensions imports nothing of the application, and database hooks only the app's engines."""
import ast
import pathlib

import pytest
from sqlalchemy import create_engine, text

import petitions
from petitions import create_app, database
from petitions.extensions import UnkeyedLimit, db, limiter


def test_extensions_imports_nothing_from_the_application():
    source = pathlib.Path(petitions.__file__).with_name("extensions.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported, "the walk found no imports at all"
    assert not [name for name in imported if name.startswith(".") or name.split(".")[0] == "petitions"]


def test_a_limit_without_its_own_key_is_refused_rather_than_counting_raw_addresses():
    with pytest.raises(UnkeyedLimit):
        limiter._key_func()


def test_sqlite_settings_apply_to_the_apps_engine_and_to_no_other(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == database.BUSY_TIMEOUT_MS
            assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
        db.engine.dispose()
    other = create_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        with other.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() != "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() != database.BUSY_TIMEOUT_MS
    finally:
        other.dispose()

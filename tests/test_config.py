"""Configuration comes from the environment, and production refuses unsafe settings."""
import pytest

from petitions import create_app
from petitions.config import ConfigError, normalise_database_url


def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch):
    monkeypatch.setenv("MAIL_URL", "smtp://127.0.0.1:25")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(ConfigError):
        create_app("production")


def test_production_starts_with_a_strong_key_and_has_no_dev_mailbox(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("MAIL_URL", "smtp://127.0.0.1:25")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    app = create_app("production")
    assert not app.config["DEV_MAILBOX"]
    assert "devmail" not in app.blueprints


def test_environment_overrides_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("BASE_URL", "https://sign.example.org/")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/petitions")
    app = create_app("development", {"INSTANCE_DIR": str(tmp_path)})
    assert app.config["BASE_URL"] == "https://sign.example.org"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/petitions"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["DEV_MAILBOX"] is True


def test_postgres_urls_use_psycopg_3():
    assert normalise_database_url("postgresql://x/y") == "postgresql+psycopg://x/y"
    assert normalise_database_url("sqlite:///a") == "sqlite:///a"

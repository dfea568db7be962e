"""Configuration comes from the environment, and production refuses unsafe settings."""
import secrets

import pytest

from petitions import create_app
from petitions.config import ConfigError, load, normalise_database_url


def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch):
    monkeypatch.setenv("MAIL_URL", "smtp://127.0.0.1:25")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(ConfigError):
        create_app("production")


def test_production_starts_with_a_strong_key_and_has_no_dev_mailbox(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(32))
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


def _production(monkeypatch, tmp_path, **env):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("MAIL_URL", "smtp://127.0.0.1:25")
    monkeypatch.delenv("HASH_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load("production")


@pytest.mark.parametrize("key", ["a" * 36, "ab" * 24, "abcabcabcabcabcabcabcabcabcabcabcabc", "12345678" * 5])
def test_production_refuses_a_long_key_that_is_not_random(monkeypatch, tmp_path, key):
    with pytest.raises(ConfigError, match="SECRET_KEY does not look random"):
        _production(monkeypatch, tmp_path, SECRET_KEY=key)


def test_production_refuses_a_weak_hash_key_too(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="HASH_KEY does not look random"):
        _production(monkeypatch, tmp_path, SECRET_KEY=secrets.token_urlsafe(32), HASH_KEY="h" * 40)


def test_generated_keys_pass_the_check(monkeypatch, tmp_path):
    for _ in range(200):
        for key in (secrets.token_urlsafe(32), secrets.token_hex(32)):  # the second is what openssl rand -hex 32 gives
            assert _production(monkeypatch, tmp_path, SECRET_KEY=key)["SECRET_KEY"] == key


@pytest.mark.parametrize("url", ["smtp://user:pass@mail.example.org:25", "smtp://user@10.0.0.5", "smtp://u:p@[2001:db8::1]"])
def test_production_refuses_a_password_over_plain_smtp(monkeypatch, tmp_path, url):
    with pytest.raises(ConfigError, match="unencrypted"):
        _production(monkeypatch, tmp_path, SECRET_KEY=secrets.token_urlsafe(32), MAIL_URL=url)


@pytest.mark.parametrize("url", ["smtp+starttls://user:pass@mail.example.org:587", "smtps://user:pass@mail.example.org",
                                 "smtp://user:pass@127.0.0.1:25", "smtp://user:pass@127.1.2.3", "smtp://u:p@[::1]:25",
                                 "smtp://user:pass@localhost", "smtp://mail.example.org:25"])
def test_a_password_may_go_over_tls_or_to_a_relay_on_this_machine(monkeypatch, tmp_path, url):
    assert _production(monkeypatch, tmp_path, SECRET_KEY=secrets.token_urlsafe(32), MAIL_URL=url)["MAIL_URL"] == url


def test_postgresql_connections_give_up_after_the_connect_timeout(monkeypatch):
    from petitions.config import load

    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "3")
    settings = load("testing")
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 3}
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite")
    assert "connect_args" not in load("testing")["SQLALCHEMY_ENGINE_OPTIONS"]

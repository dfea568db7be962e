"""Configuration comes from the environment, and production refuses unsafe settings."""
import re
import secrets
import warnings
from pathlib import Path

import pytest

from petitions import config, create_app
from petitions.config import Config, ConfigError, ConfigWarning, DevelopmentConfig, load, normalise_database_url


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
    # SQLAlchemy's pre-ping is off: petitions/database.py pings instead, by default a connection idle a second.
    assert "pool_pre_ping" not in settings["SQLALCHEMY_ENGINE_OPTIONS"] and settings["DATABASE_PING_IDLE_SECONDS"] == 1.0
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite")
    assert "connect_args" not in load("testing")["SQLALCHEMY_ENGINE_OPTIONS"]


# --- declarative configuration: one rule for every setting --------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
# Read by gunicorn's configuration file, not by petitions/config.py; the table documents them too.
GUNICORN_VARIABLE = re.compile(r"GUNICORN_[A-Z_*]+|WEB_CONCURRENCY")


def readme_variables():
    """The names in the first column of the README's environment table."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Environment"):]
    section = section[:section.index("\n### ", 1)]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) > 40, "the environment table was not found"
    names = set()
    for row in rows:
        names.update(re.findall(r"`([A-Z][A-Z0-9_*]*)`", row.split("|")[1]))
    return {name for name in names if not GUNICORN_VARIABLE.fullmatch(name)}


def test_the_readme_table_lists_exactly_the_variables_the_configuration_reads():
    documented, read = readme_variables(), config.environment_variables()
    assert read - documented == set(), "read from the environment but missing from README.md's table"
    assert documented - read == set(), "in README.md's table but read by nothing"


def test_the_issue_s_examples_can_now_be_set():
    settings = Config.from_environment({"SENT_MAIL_RETENTION_DAYS": "30", "UPDATE_MAIL_BATCH": "64",
                                        "MAIL_BATCH_SIZE": "50", "DATABASE_PGBOUNCER": "yes"})
    assert (settings["SENT_MAIL_RETENTION_DAYS"], settings["UPDATE_MAIL_BATCH"], settings["MAIL_BATCH_SIZE"]) == (30, 64, 50)
    assert settings["DATABASE_PGBOUNCER"] is True
    assert Config.from_environment({})["DATABASE_PGBOUNCER"] is False


def _other_value(name, default):
    """A valid value for ``name`` unlike its default, as the variable's text and the setting it should give."""
    special = {
        "SQLALCHEMY_DATABASE_URI": ("sqlite:////srv/p.sqlite", "sqlite:////srv/p.sqlite"),
        "BASE_URL": ("https://sign.example.org/", "https://sign.example.org"),
        "MAIL_URL": ("smtps://mail.example.org", "smtps://mail.example.org"),
        "BOUNCE_ADDRESS": ("bounces@example.org", "bounces@example.org"),
        "BOUNCE_MAILBOX_URL": ("maildir:///srv/bounces", "maildir:///srv/bounces"),
        "RATELIMIT_STORAGE_URI": ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
        "LANGUAGES": ("en, uk", ["en", "uk"]),
        "PASSWORD_HASH_PROFILE": ("cheapest", "cheapest"),
        "SEALING_KDF_PROFILE": ("sensitive", "sensitive"),
    }
    if name in special:
        return special[name]
    if name.startswith("RATELIMIT_") and isinstance(default, str):
        return "7 per minute", "7 per minute"
    if isinstance(default, bool):
        return ("off", False) if default else ("on", True)
    if isinstance(default, int):
        return str(default + 3), default + 3
    if isinstance(default, float):
        return f"{default + 0.5}", default + 0.5
    if isinstance(default, list):
        return "a, b", ["a", "b"]
    return "/srv/petitions/x", "/srv/petitions/x"


def test_every_setting_but_the_fixed_ones_is_read_from_its_variable(tmp_path):
    names = config.environment_settings()
    assert len(names) > 60
    env, expected = {}, {}
    for name in names:
        text, value = _other_value(name, getattr(Config, name))
        env[config.variable_for(name)] = text
        expected[name] = value
    settings = Config.from_environment(env)
    assert {name: settings[name] for name in names} == expected
    assert not set(names) & config.FIXED


def test_every_readable_setting_has_a_type_the_rule_converts():
    for name in config.environment_settings():
        default = getattr(Config, name)
        assert default is None or type(default) in config.CONVERTERS, name


def test_profiles_keep_the_base_types_so_one_rule_fits_them_all():
    for profile in config.PROFILES.values():
        for name in config.environment_settings():
            base, own = getattr(Config, name), getattr(profile, name)
            assert base is None or own is None or isinstance(own, type(base)) \
                or (type(base) is float and type(own) is int), (profile.__name__, name)


def test_fixed_settings_come_from_the_profile_only(monkeypatch):
    env = {"DEBUG": "true", "DEV_MAILBOX": "true", "TESTING": "1", "SESSION_COOKIE_HTTPONLY": "false",
           "SQLALCHEMY_ENGINE_OPTIONS": '{"echo": true}', "ENV_NAME": "development"}
    settings = Config.from_environment(env)
    assert (settings["DEBUG"], settings["DEV_MAILBOX"], settings["TESTING"]) == (False, False, False)
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"] == {}
    assert settings["ENV_NAME"] == "production"


@pytest.mark.parametrize("text, expected", [
    ("1", True), ("true", True), ("TRUE", True), (" Yes ", True), ("on", True),
    ("0", False), ("false", False), ("No", False), ("OFF", False),
])
def test_booleans_take_the_usual_words(text, expected):
    assert Config.from_environment({"BLOCK_DISPOSABLE_EMAILS": text})["BLOCK_DISPOSABLE_EMAILS"] is expected
    assert Config.from_environment({"RATELIMIT_ENABLED": text})["RATELIMIT_ENABLED"] is expected


def test_numbers_lists_and_text_are_converted_by_the_type_of_the_default():
    settings = Config.from_environment({
        "MAIL_TIMEOUT": " 45 ", "FORM_MIN_SECONDS": "0.5", "PUBLIC_CACHE_SECONDS": "3",
        "SECRET_KEY_FALLBACKS": "old-one, older-one,,", "SITE_NAME": "Sign here", "CONFIRM_MIN_SECONDS": "0",
    })
    assert settings["MAIL_TIMEOUT"] == 45 and type(settings["MAIL_TIMEOUT"]) is int
    assert settings["FORM_MIN_SECONDS"] == 0.5
    assert settings["PUBLIC_CACHE_SECONDS"] == 3.0 and type(settings["PUBLIC_CACHE_SECONDS"]) is float
    assert settings["SECRET_KEY_FALLBACKS"] == ["old-one", "older-one"]
    assert settings["SITE_NAME"] == "Sign here"
    assert settings["CONFIRM_MIN_SECONDS"] == 0.0


def test_a_blank_variable_keeps_the_default():
    settings = Config.from_environment({"MAIL_TIMEOUT": "", "RATELIMIT_ENABLED": "  ", "PETITIONS_LANGUAGES": "",
                                        "HASH_KEY": ""})
    assert settings["MAIL_TIMEOUT"] == 20
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["LANGUAGES"] == Config.LANGUAGES
    assert settings["HASH_KEY"] is None


@pytest.mark.parametrize("variable, text, message", [
    ("RATELIMIT_ENABLED", "maybe", "RATELIMIT_ENABLED must be true or false (also 1/0, yes/no, on/off), not 'maybe'"),
    ("DATABASE_PGBOUNCER", "2", "DATABASE_PGBOUNCER must be true or false"),
    ("MAIL_BATCH_SIZE", "ten", "MAIL_BATCH_SIZE must be a whole number, 1 or more, not 'ten'"),
    ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES must be a whole number, 0 or more, not '-1'"),
    ("ANONYMISE_AFTER_DAYS", "1.5", "ANONYMISE_AFTER_DAYS must be a whole number, 0 or more, not '1.5'"),
    ("UPDATE_MAIL_BATCH", "0", "UPDATE_MAIL_BATCH must be a whole number, 1 or more, not '0'"),
    ("FORM_MIN_SECONDS", "soon", "FORM_MIN_SECONDS must be a number, 0 or more"),
    ("PUBLIC_CACHE_SECONDS", "nan", "PUBLIC_CACHE_SECONDS must be a number, 0 or more"),
    ("CONFIRM_MIN_SECONDS", "inf", "CONFIRM_MIN_SECONDS must be a number, 0 or more"),
    ("PETITIONS_LANGUAGES", " , ", "PETITIONS_LANGUAGES must be a comma-separated list of language codes"),
    ("PETITIONS_LANGUAGES", "en,Russian", "PETITIONS_LANGUAGES must be a comma-separated list of language codes"),
    ("BASE_URL", "sign.example.org", "BASE_URL must be an absolute http:// or https:// address"),
    ("BASE_URL", "ftp://sign.example.org", "BASE_URL must be an absolute http:// or https:// address"),
    ("DATABASE_URL", "db.example.org", "DATABASE_URL must be an SQLAlchemy URL"),
    ("MAIL_URL", "mail.example.org:587", "MAIL_URL must be smtp://, smtp+starttls://, smtps:// with a host"),
    ("RATELIMIT_STORAGE_URI", "redis", "RATELIMIT_STORAGE_URI must be a storage URI"),
    ("RATELIMIT_SIGN", "ten a minute", 'RATELIMIT_SIGN must be rate limits such as "10 per minute;60 per hour"'),
    ("RATELIMIT_PASSWORD_RESET_EMAIL", "3 per fortnight", "RATELIMIT_PASSWORD_RESET_EMAIL must be rate limits"),
    ("SEALING_KDF_PROFILE", "fast", "SEALING_KDF_PROFILE must be one of moderate, sensitive, interactive, cheapest"),
    ("PASSWORD_HASH_PROFILE", "strong", "PASSWORD_HASH_PROFILE must be one of default, cheapest"),
])
def test_a_wrong_value_stops_startup_naming_the_variable(monkeypatch, tmp_path, variable, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_environment({variable: text})
    # And through the front door, as gunicorn or the command line would start it.
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    monkeypatch.setenv(variable, text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        create_app("development")


def test_every_wrong_value_is_reported_at_once_and_text_is_not_repeated():
    with pytest.raises(ConfigError) as caught:
        Config.from_environment({"MAIL_TIMEOUT": "x", "RATELIMIT_ENABLED": "y",
                                 "DATABASE_URL": "hunter2-is-my-password", "MAIL_URL": "s3cr3t"})
    lines = str(caught.value).splitlines()
    assert sorted(line.split()[0] for line in lines) == ["DATABASE_URL", "MAIL_TIMEOUT", "MAIL_URL", "RATELIMIT_ENABLED"]
    # The text of a URL may hold a password; numbers and yes/no are repeated to help.
    assert "hunter2" not in str(caught.value) and "s3cr3t" not in str(caught.value)
    assert "'x'" in str(caught.value)


def test_database_url_is_normalised_and_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    assert Config.from_environment({"DATABASE_URL": "postgres://u@db/p"})["SQLALCHEMY_DATABASE_URI"] \
        == "postgresql+psycopg://u@db/p"
    settings = Config.from_environment({"PETITIONS_INSTANCE": str(tmp_path)})
    assert settings["INSTANCE_DIR"] == str(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'petitions.sqlite'}"
    assert settings["MAILBOX_DIR"] == str(tmp_path / "mailbox")


def test_secret_key_and_mail_url_defaults_depend_on_the_profile(tmp_path):
    production = Config.from_environment({"PETITIONS_INSTANCE": str(tmp_path)})
    assert production["SECRET_KEY"] is None and production["MAIL_URL"] is None
    assert not (tmp_path / "dev-secret-key").exists()
    development = DevelopmentConfig.from_environment({"PETITIONS_INSTANCE": str(tmp_path)})
    assert development["SECRET_KEY"] == (tmp_path / "dev-secret-key").read_text().strip()
    assert development["MAIL_URL"] == "mailbox://"
    chosen = DevelopmentConfig.from_environment({"PETITIONS_INSTANCE": str(tmp_path / "other"), "SECRET_KEY": "k" * 40,
                                                 "MAIL_URL": "smtp://127.0.0.1:25"})
    assert (chosen["SECRET_KEY"], chosen["MAIL_URL"]) == ("k" * 40, "smtp://127.0.0.1:25")
    assert not (tmp_path / "other").exists()  # no key written when one is given


def test_base_url_loses_its_trailing_slash_and_sets_secure_cookies(monkeypatch, tmp_path):
    assert Config.from_environment({"BASE_URL": "https://sign.example.org//"})["BASE_URL"] == "https://sign.example.org"
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("BASE_URL", "https://sign.example.org/")
    assert load("development")["SESSION_COOKIE_SECURE"] is True


def test_languages_keep_their_older_variable_name():
    assert Config.from_environment({"PETITIONS_LANGUAGES": "ru, be"})["LANGUAGES"] == ["ru", "be"]
    assert Config.from_environment({"LANGUAGES": "ru"})["LANGUAGES"] == Config.LANGUAGES


def test_redis_storage_gives_up_quickly():
    assert "RATELIMIT_STORAGE_OPTIONS" not in Config.from_environment({})
    options = Config.from_environment({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/2"})["RATELIMIT_STORAGE_OPTIONS"]
    assert options == {"socket_connect_timeout": 2, "socket_timeout": 2}


def test_defaults_are_copied_so_one_app_cannot_change_another_s():
    defaults = list(Config.LANGUAGES)
    first = Config.from_environment({})
    first["LANGUAGES"].append("xx")
    assert Config.from_environment({})["LANGUAGES"] == defaults and Config.LANGUAGES == defaults


def test_the_profile_names_match_what_the_code_accepts():
    from petitions.sealing import crypto

    allowed_kdf = {name for name in crypto.KDF_PROFILES if config.CHECKS["SEALING_KDF_PROFILE"][0](name)}
    assert allowed_kdf == set(crypto.KDF_PROFILES)


def test_testing_reads_no_test_only_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)
    monkeypatch.setenv("TEST_RATELIMIT_ENABLED", "true")
    assert load("testing")["RATELIMIT_ENABLED"] is False
    # The operator's variable works in every profile; the test fixtures pass their own settings.
    monkeypatch.setenv("RATELIMIT_ENABLED", "true")
    assert load("testing")["RATELIMIT_ENABLED"] is True


def test_an_unknown_petitions_variable_is_warned_about_and_ignored():
    with pytest.warns(ConfigWarning, match="PETITIONS_MAIL_BATCH is not a setting and is ignored$"):
        settings = Config.from_environment({"PETITIONS_MAIL_BATCH": "5"})
    assert settings["MAIL_BATCH_SIZE"] == 10
    with pytest.warns(ConfigWarning, match="the setting MAIL_URL is read from MAIL_URL"):
        Config.from_environment({"PETITIONS_MAIL_URL": "smtp://127.0.0.1"})
    with pytest.warns(ConfigWarning, match="the setting INSTANCE_DIR is read from PETITIONS_INSTANCE"):
        Config.from_environment({"PETITIONS_INSTANCE_DIR": "/srv/petitions"})


def test_known_and_unprefixed_variables_raise_no_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Config.from_environment({"PETITIONS_ENV": "production", "PETITIONS_INSTANCE": str(tmp_path),
                                 "PETITIONS_LANGUAGES": "en", "MAIL_BACH_SIZE": "3", "HOME": "/root"})


def test_production_refuses_the_test_suite_s_password_hashing(monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE=cheapest is for the tests"):
        _production(monkeypatch, tmp_path, SECRET_KEY=secrets.token_urlsafe(32), PASSWORD_HASH_PROFILE="cheapest")
    settings = _production(monkeypatch, tmp_path, SECRET_KEY=secrets.token_urlsafe(32), PASSWORD_HASH_PROFILE="default")
    assert settings["PASSWORD_HASH_PROFILE"] == "default"

"""Configuration. Every setting can be overridden from the environment.

``PETITIONS_ENV`` picks the profile: ``production`` (the default, so that a
forgotten variable never weakens a live site), ``development`` (``make run``)
or ``testing``.
"""
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a safe, working configuration."""


def _bool(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    ENV_NAME = "production"
    DEBUG = False
    TESTING = False
    DEV_MAILBOX = False

    # Interface languages. Adding one means adding its catalogue under
    # translations/ and its code here (or in PETITIONS_LANGUAGES).
    SITE_NAME = "Petitions"
    LANGUAGES = ["en", "ru", "be", "de"]
    DEFAULT_LANGUAGE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Signing
    CONFIRM_TOKEN_MAX_AGE = 7 * 24 * 3600
    WITHDRAW_TOKEN_MAX_AGE = 2 * 365 * 24 * 3600
    ERASE_TOKEN_MAX_AGE = 2 * 24 * 3600
    # Bot defence without third parties: a form filled faster than this is
    # dropped silently, as is one whose hidden honeypot field has content.
    FORM_MIN_SECONDS = 2
    BLOCK_DISPOSABLE_EMAILS = False
    RECENT_SIGNERS_SHOWN = 10

    # Organisers
    INVITE_TOKEN_MAX_AGE = 7 * 24 * 3600
    UNSUBSCRIBE_TOKEN_MAX_AGE = 2 * 365 * 24 * 3600
    MIN_PASSWORD_LENGTH = 12
    # A signed-in organiser is asked again after this long.
    ORGANISER_SESSION_SECONDS = 12 * 3600
    # argon2id parameters: "default" is argon2-cffi's RFC 9106 low-memory profile;
    # "cheapest" exists only so the test suite does not spend minutes hashing.
    PASSWORD_HASH_PROFILE = "default"
    # Argon2id cost of wrapping an organisation's key under a passphrase (petitions/sealing/crypto.py):
    # "moderate" (256 MiB, about a second) protects a seized database; "cheapest" is for the tests.
    SEALING_KDF_PROFILE = "moderate"
    # A process replaces its ephemeral sealing key at least this often (seconds).
    SEALING_KEY_MAX_AGE = 3600
    UPDATE_MAIL_BATCH = 500
    # An export of signer data on the web needs a sign-in with a second factor this recent.
    EXPORT_TOTP_MAX_AGE = 12 * 3600

    # Retention (petitions purge)
    UNCONFIRMED_RETENTION_DAYS = 7
    ANONYMISE_AFTER_DAYS = 180
    SENT_MAIL_RETENTION_DAYS = 1

    # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
    TRUSTED_PROXIES = 0
    MAX_CONFIRMATION_SENDS = 3
    ALREADY_SIGNED_NOTICE_INTERVAL = 24 * 3600
    COUNTER_SHARDS = 16
    # Public pages and counts: seconds a rendering is reused in each process,
    # and seconds a proxy or browser may keep it (Cache-Control max-age).
    PUBLIC_CACHE_SECONDS = 2
    PUBLIC_MAX_AGE = 3
    # How often petition.js asks the count endpoint for a live counter (only while the tab is visible).
    COUNTER_POLL_SECONDS = 10

    # Mail
    MAIL_DELIVER_AFTER_REQUEST = False
    MAIL_BATCH_SIZE = 50
    MAIL_MAX_BACKOFF = 3600
    MAIL_TIMEOUT = 20

    # Rate limits (Flask-Limiter reads RATELIMIT_* itself)
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SIGN = "10 per minute;60 per hour"
    RATELIMIT_SIGN_EMAIL = "5 per hour"
    RATELIMIT_RESEND = "5 per hour"
    RATELIMIT_ERASE = "5 per hour"
    RATELIMIT_ERASE_EMAIL = "3 per day"
    RATELIMIT_API = "300 per minute"
    # Failed organiser sign-ins, per client address and per account.
    RATELIMIT_SIGN_IN = "10 per minute;100 per hour"
    RATELIMIT_SIGN_IN_ACCOUNT = "5 per minute;20 per hour"
    # Refused passphrases for an organisation's key, per member: each try costs the server an Argon2id run.
    RATELIMIT_UNLOCK = "5 per minute;20 per day"

    WTF_CSRF_TIME_LIMIT = 6 * 3600
    # Every form message is our own and translated; WTForms' catalogue, loaded per form, is never needed.
    WTF_I18N_ENABLED = False
    # Uploads (paper signature lists) larger than this are refused with a 413.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    @classmethod
    def from_environment(cls):
        """Return a dict of settings: class defaults overridden by the environment."""
        env = os.environ
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        instance = Path(env.get("PETITIONS_INSTANCE", ROOT / "instance"))
        settings["INSTANCE_DIR"] = str(instance)
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'petitions.sqlite'}"
        )
        settings["SECRET_KEY"] = env.get("SECRET_KEY") or cls.default_secret_key(instance)
        settings["SECRET_KEY_FALLBACKS"] = [k for k in (env.get("SECRET_KEY_FALLBACKS") or "").split(",") if k.strip()]
        settings["HASH_KEY"] = env.get("HASH_KEY") or None
        settings["SITE_NAME"] = env.get("SITE_NAME") or cls.SITE_NAME
        settings["BASE_URL"] = (env.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        settings["MAIL_URL"] = env.get("MAIL_URL") or cls.default_mail_url()
        settings["MAIL_FROM"] = env.get("MAIL_FROM") or "Petitions <petitions@localhost>"
        settings["MAILBOX_DIR"] = env.get("MAILBOX_DIR") or str(instance / "mailbox")
        settings["RATELIMIT_STORAGE_URI"] = env.get("RATELIMIT_STORAGE_URI") or "memory://"
        settings["RATELIMIT_ENABLED"] = _bool(env.get("RATELIMIT_ENABLED"), True)
        settings["CONFIRM_TOKEN_MAX_AGE"] = _int("CONFIRM_TOKEN_MAX_AGE", cls.CONFIRM_TOKEN_MAX_AGE)
        settings["MAIL_DELIVER_AFTER_REQUEST"] = _bool(
            env.get("MAIL_DELIVER_AFTER_REQUEST"), cls.MAIL_DELIVER_AFTER_REQUEST
        )
        settings["FORM_MIN_SECONDS"] = float(env.get("FORM_MIN_SECONDS") or cls.FORM_MIN_SECONDS)
        settings["BLOCK_DISPOSABLE_EMAILS"] = _bool(env.get("BLOCK_DISPOSABLE_EMAILS"), cls.BLOCK_DISPOSABLE_EMAILS)
        settings["TRUSTED_PROXIES"] = _int("TRUSTED_PROXIES", cls.TRUSTED_PROXIES)
        settings["PUBLIC_CACHE_SECONDS"] = float(env.get("PUBLIC_CACHE_SECONDS") or cls.PUBLIC_CACHE_SECONDS)
        settings["PUBLIC_MAX_AGE"] = _int("PUBLIC_MAX_AGE", cls.PUBLIC_MAX_AGE)
        settings["COUNTER_POLL_SECONDS"] = _int("COUNTER_POLL_SECONDS", cls.COUNTER_POLL_SECONDS)
        settings["UNCONFIRMED_RETENTION_DAYS"] = _int("UNCONFIRMED_RETENTION_DAYS", cls.UNCONFIRMED_RETENTION_DAYS)
        settings["ANONYMISE_AFTER_DAYS"] = _int("ANONYMISE_AFTER_DAYS", cls.ANONYMISE_AFTER_DAYS)
        settings["SEALING_KEY_MAX_AGE"] = _int("SEALING_KEY_MAX_AGE", cls.SEALING_KEY_MAX_AGE)
        for name in ("RATELIMIT_SIGN", "RATELIMIT_SIGN_EMAIL", "RATELIMIT_RESEND", "RATELIMIT_ERASE",
                     "RATELIMIT_ERASE_EMAIL", "RATELIMIT_API", "RATELIMIT_SIGN_IN", "RATELIMIT_SIGN_IN_ACCOUNT",
                     "RATELIMIT_UNLOCK", "SEALING_KDF_PROFILE"):
            settings[name] = env.get(name) or getattr(cls, name)
        if env.get("PETITIONS_LANGUAGES"):
            settings["LANGUAGES"] = [x.strip() for x in env["PETITIONS_LANGUAGES"].split(",") if x.strip()]
        return settings

    @staticmethod
    def default_secret_key(instance):
        return None

    @staticmethod
    def default_mail_url():
        return None

    @classmethod
    def check(cls, settings):
        """Refuse to start with settings that would be unsafe in this profile."""
        key = settings.get("SECRET_KEY") or ""
        if key.lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} "
                "characters, for example: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if not settings.get("MAIL_URL"):
            raise ConfigError("MAIL_URL must be set, for example smtp+starttls://user:pass@mail.example.org:587")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True
    DEV_MAILBOX = True
    MAIL_DELIVER_AFTER_REQUEST = True

    @staticmethod
    def default_secret_key(instance):
        # A random key kept in instance/ so links in the development mailbox
        # survive a restart, without a well-known key anyone could forge with.
        path = Path(instance) / "dev-secret-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    @staticmethod
    def default_mail_url():
        return "mailbox://"


class TestConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    DEBUG = False
    TESTING = True
    DEV_MAILBOX = False
    MAIL_DELIVER_AFTER_REQUEST = False
    RATELIMIT_ENABLED = False
    FORM_MIN_SECONDS = 0
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_PROFILE = "cheapest"
    SEALING_KDF_PROFILE = "cheapest"
    # Every test sees what it just changed; the caching tests switch it on.
    PUBLIC_CACHE_SECONDS = 0


PROFILES = {"production": Config, "development": DevelopmentConfig, "testing": TestConfig}


def normalise_database_url(url):
    """Point plain postgres:// URLs at psycopg 3, which is the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(profile=None, overrides=None):
    """Build the settings for a profile (default: $PETITIONS_ENV or production)."""
    name = profile or os.environ.get("PETITIONS_ENV", "production")
    if name not in PROFILES:
        raise ConfigError(f"PETITIONS_ENV must be one of {', '.join(PROFILES)}, not {name!r}")
    cls = PROFILES[name]
    settings = cls.from_environment()
    if name == "testing":
        settings["RATELIMIT_ENABLED"] = _bool(os.environ.get("TEST_RATELIMIT_ENABLED"), False)
    settings.update(overrides or {})
    if name == "production" and settings.get("SECRET_KEY_FALLBACKS") and not settings.get("HASH_KEY"):
        # Rotating SECRET_KEY without pinning HASH_KEY would let every address sign again.
        raise ConfigError("SECRET_KEY_FALLBACKS is set, so HASH_KEY must be set too (to the original SECRET_KEY)")
    # The look-up hash key must outlive SECRET_KEY rotations; see security.lookup_key.
    settings["HASH_KEY"] = settings.get("HASH_KEY") or settings["SECRET_KEY"]
    settings["SESSION_COOKIE_SECURE"] = settings["BASE_URL"].startswith("https://")
    if name == "production":
        cls.check(settings)
    return settings

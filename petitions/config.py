"""Configuration. Every setting can be overridden from the environment.

``PETITIONS_ENV`` picks the profile: ``production`` (the default, so that a
forgotten variable never weakens a live site), ``development`` (``make run``)
or ``testing``.
"""
import ipaddress
import math
import os
import secrets
import zlib
from collections import Counter
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development"}
MIN_SECRET_LENGTH = 32
# A key must also look random: a few distinct characters ("a" * 36) or a low estimated entropy is refused.
MIN_SECRET_DISTINCT = 10
MIN_SECRET_BITS = 128


class ConfigError(RuntimeError):
    """The environment does not describe a safe, working configuration."""


def estimated_bits(key):
    """The entropy of ``key`` as its characters' Shannon entropy times its length: a generous upper bound.

    A random key gets close to its real strength (``secrets.token_urlsafe(32)``
    some 200 bits, ``openssl rand -hex 32`` some 240); a key of one or two
    repeated characters gets next to nothing. Words and patterns score higher
    than they deserve, so this only catches the worst keys.
    """
    if not key:
        return 0.0
    counts = Counter(key).values()
    return -sum(n / len(key) * math.log2(n / len(key)) for n in counts) * len(key)


def weak_key_problem(name, key):
    """Why ``key`` is too weak to be the setting ``name``, or None if it will do."""
    advice = "for example: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if key.lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH:
        return f"{name} must be set to a random value of at least {MIN_SECRET_LENGTH} characters, {advice}"
    if len(set(key)) < MIN_SECRET_DISTINCT or estimated_bits(key) < MIN_SECRET_BITS:
        return f"{name} does not look random enough (too few different characters for its length); use a random value, {advice}"
    if compressed_ratio(key) < MAX_SECRET_COMPRESSION:
        return f"{name} does not look random enough (it repeats itself); use a random value, {advice}"
    if consecutive_share(key) > 0.5:
        return f"{name} does not look random enough (it runs through the alphabet or digits); use a random value, {advice}"
    if any(ch.isspace() for ch in key) and all(ch.isalpha() or ch.isspace() or ch in SENTENCE_PUNCTUATION for ch in key):
        return f"{name} looks like a sentence, which can be guessed; use a random value, {advice}"
    return None


# Random keys never compress: with fixed Huffman codes (so a small alphabet, as in hex, gains
# nothing) only repeats shrink a key. 2,000 token_hex(32) keys all stay above 0.93.
MAX_SECRET_COMPRESSION = 0.85
SENTENCE_PUNCTUATION = frozenset(".,;:!?'\"-")


def compressed_ratio(key):
    """The size of ``key`` deflated with fixed Huffman codes over its own size: low for keys that repeat."""
    data = key.encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_FIXED)
    return len(packer.compress(data) + packer.flush()) / max(1, len(data))


def consecutive_share(key):
    """The share of neighbouring characters that are consecutive code points ("abc", "321")."""
    if len(key) < 2:
        return 0.0
    return sum(abs(ord(a) - ord(b)) == 1 for a, b in pairwise(key)) / (len(key) - 1)


def _is_loopback(host):
    if (host or "").lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_smtp_password_problem(url):
    """Why MAIL_URL would send a password unencrypted, or None.

    ``smtp://user:pass@host`` logs in without TLS: anyone on the way reads the
    password. Only a relay on this machine (loopback) may be reached that way;
    otherwise use ``smtp+starttls://`` or ``smtps://``.
    """
    parts = urlsplit(url or "")
    if parts.scheme == "smtp" and (parts.username or parts.password) and not _is_loopback(parts.hostname):
        return ("MAIL_URL sends a user name and password over plain SMTP, unencrypted; use "
                "smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465 "
                "(plain smtp:// with a password is allowed only to a relay on this machine)")
    return None


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
    # Seconds to wait for PostgreSQL to accept a connection before the request gets the 503 page.
    DATABASE_CONNECT_TIMEOUT = 5
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Signing
    CONFIRM_TOKEN_MAX_AGE = 7 * 24 * 3600
    WITHDRAW_TOKEN_MAX_AGE = 2 * 365 * 24 * 3600
    ERASE_TOKEN_MAX_AGE = 2 * 24 * 3600
    # Bot defence without third parties: a form filled faster than this is
    # dropped silently, as is one whose hidden honeypot field has content.
    FORM_MIN_SECONDS = 2
    # A confirm button pressed sooner than this after its page was served is a
    # mail scanner submitting what it finds: the press confirms nothing.
    CONFIRM_MIN_SECONDS = 1
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
    # Codes (app or recovery) tried within SECOND_STEP_WINDOW_SECONDS before no more are
    # checked until that much time has passed since the last; a right password resets nothing.
    SECOND_STEP_MAX_FAILURES = 5
    SECOND_STEP_WINDOW_SECONDS = 900
    # Seconds a "forgot your password" link works (it also stops once the password changes).
    PASSWORD_RESET_MAX_AGE = 3600

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
    # A worker claims this many messages at a time, so several workers share a slow relay.
    MAIL_BATCH_SIZE = 10
    MAIL_MAX_BACKOFF = 3600
    MAIL_TIMEOUT = 20
    # Fresh connections one message may open when the server drops the last one.
    MAIL_RECONNECTS = 2
    # How long a claim lasts; a crashed worker's other claimed messages go out after it.
    MAIL_CLAIM_SECONDS = 300
    # The longest pause of a worker waiting for the database or mail server to come back.
    MAIL_RETRY_PAUSE_MAX = 30

    # Rate limits (Flask-Limiter reads RATELIMIT_* itself)
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: each process counts in its own memory until Redis answers again,
    # and an error in the limiter never turns a request into a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
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
    # "Forgot your password?" requests (each sends an email), per client address and per address asked for.
    RATELIMIT_PASSWORD_RESET = "5 per hour"
    RATELIMIT_PASSWORD_RESET_EMAIL = "3 per hour"

    WTF_CSRF_TIME_LIMIT = 6 * 3600
    # Every form message is our own and translated; WTForms' catalogue, loaded per form, is never needed.
    WTF_I18N_ENABLED = False
    # Request bodies larger than these are refused with a 413 before anything reads them:
    # supporters' forms (signing, letters, embeds) are a few KB, though a letter's fields filled
    # to their limits in a non-Latin script come to some 17 KB once form-encoded; the petition
    # editor and updates take long texts (100,000 Cyrillic characters are 600 KB form-encoded);
    # imports (paper lists, letter signatories) a few MB. MAX_CONTENT_LENGTH is every other route's.
    MAX_CONTENT_LENGTH = 64 * 1024
    SUPPORTER_MAX_CONTENT_LENGTH = 32 * 1024
    TEXT_MAX_CONTENT_LENGTH = 1024 * 1024
    IMPORT_MAX_CONTENT_LENGTH = 4 * 1024 * 1024
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
        for name in ("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", "RATELIMIT_SWALLOW_ERRORS"):
            settings[name] = _bool(env.get(name), getattr(cls, name))
        if settings["RATELIMIT_STORAGE_URI"].startswith(("redis", "valkey")):
            # An unreachable Redis answers nothing rather than refusing: give up quickly and fall back.
            settings["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 2, "socket_timeout": 2}
        for name in ("MAIL_BATCH_SIZE", "MAIL_MAX_BACKOFF", "MAIL_TIMEOUT", "MAIL_RECONNECTS", "MAIL_CLAIM_SECONDS",
                     "MAIL_RETRY_PAUSE_MAX"):
            settings[name] = _int(name, getattr(cls, name))
        settings["CONFIRM_TOKEN_MAX_AGE"] = _int("CONFIRM_TOKEN_MAX_AGE", cls.CONFIRM_TOKEN_MAX_AGE)
        settings["DATABASE_CONNECT_TIMEOUT"] = _int("DATABASE_CONNECT_TIMEOUT", cls.DATABASE_CONNECT_TIMEOUT)
        for name in ("MAX_CONTENT_LENGTH", "SUPPORTER_MAX_CONTENT_LENGTH", "TEXT_MAX_CONTENT_LENGTH",
                     "IMPORT_MAX_CONTENT_LENGTH"):
            settings[name] = _int(name, getattr(cls, name))
        settings["MAIL_DELIVER_AFTER_REQUEST"] = _bool(
            env.get("MAIL_DELIVER_AFTER_REQUEST"), cls.MAIL_DELIVER_AFTER_REQUEST
        )
        settings["FORM_MIN_SECONDS"] = float(env.get("FORM_MIN_SECONDS") or cls.FORM_MIN_SECONDS)
        settings["CONFIRM_MIN_SECONDS"] = float(env.get("CONFIRM_MIN_SECONDS") or cls.CONFIRM_MIN_SECONDS)
        settings["BLOCK_DISPOSABLE_EMAILS"] = _bool(env.get("BLOCK_DISPOSABLE_EMAILS"), cls.BLOCK_DISPOSABLE_EMAILS)
        settings["TRUSTED_PROXIES"] = _int("TRUSTED_PROXIES", cls.TRUSTED_PROXIES)
        settings["PUBLIC_CACHE_SECONDS"] = float(env.get("PUBLIC_CACHE_SECONDS") or cls.PUBLIC_CACHE_SECONDS)
        settings["PUBLIC_MAX_AGE"] = _int("PUBLIC_MAX_AGE", cls.PUBLIC_MAX_AGE)
        settings["COUNTER_POLL_SECONDS"] = _int("COUNTER_POLL_SECONDS", cls.COUNTER_POLL_SECONDS)
        settings["UNCONFIRMED_RETENTION_DAYS"] = _int("UNCONFIRMED_RETENTION_DAYS", cls.UNCONFIRMED_RETENTION_DAYS)
        settings["ANONYMISE_AFTER_DAYS"] = _int("ANONYMISE_AFTER_DAYS", cls.ANONYMISE_AFTER_DAYS)
        settings["SEALING_KEY_MAX_AGE"] = _int("SEALING_KEY_MAX_AGE", cls.SEALING_KEY_MAX_AGE)
        settings["SECOND_STEP_MAX_FAILURES"] = _int("SECOND_STEP_MAX_FAILURES", cls.SECOND_STEP_MAX_FAILURES)
        settings["SECOND_STEP_WINDOW_SECONDS"] = _int("SECOND_STEP_WINDOW_SECONDS", cls.SECOND_STEP_WINDOW_SECONDS)
        settings["PASSWORD_RESET_MAX_AGE"] = _int("PASSWORD_RESET_MAX_AGE", cls.PASSWORD_RESET_MAX_AGE)
        for name in ("RATELIMIT_SIGN", "RATELIMIT_SIGN_EMAIL", "RATELIMIT_RESEND", "RATELIMIT_ERASE",
                     "RATELIMIT_ERASE_EMAIL", "RATELIMIT_API", "RATELIMIT_SIGN_IN", "RATELIMIT_SIGN_IN_ACCOUNT",
                     "RATELIMIT_UNLOCK", "SEALING_KDF_PROFILE", "RATELIMIT_PASSWORD_RESET",
                     "RATELIMIT_PASSWORD_RESET_EMAIL"):
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
        for name in ("SECRET_KEY", "HASH_KEY"):  # HASH_KEY is SECRET_KEY unless set on its own
            problem = weak_key_problem(name, settings.get(name) or "")
            if problem:
                raise ConfigError(problem)
        if not settings.get("MAIL_URL"):
            raise ConfigError("MAIL_URL must be set, for example smtp+starttls://user:pass@mail.example.org:587")
        problem = plain_smtp_password_problem(settings["MAIL_URL"])
        if problem:
            raise ConfigError(problem)


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
    CONFIRM_MIN_SECONDS = 0
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
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A server that hangs instead of refusing would otherwise hold each request for the
        # operating system's TCP timeout (minutes) before the 503 page can say so.
        options = dict(settings["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"connect_timeout": settings["DATABASE_CONNECT_TIMEOUT"], **options.get("connect_args", {})}
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if name == "production":
        cls.check(settings)
    return settings

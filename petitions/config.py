"""Configuration: the profile's defaults, overridden from the environment by one rule.

``PETITIONS_ENV`` picks the profile: ``production`` (the default, so that a
forgotten variable never weakens a live site), ``development`` (``make run``)
or ``testing``.

Every upper-case setting of ``Config`` is read from the environment variable of
the same name (a few older names are kept, see ``VARIABLES``), converted by the
type of its default; ``FIXED`` lists the few that only the profile decides. An
unset or blank variable keeps the default. A value that cannot be converted
stops startup with a ``ConfigError`` naming the variable and what it expects.
"""
import copy
import ipaddress
import math
import os
import re
import secrets
import warnings
import zlib
from collections import Counter
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .paths import ROOT, resource_dir

# A checkout keeps its instance folder beside the code; an installed release has no such place
# (site-packages), so it uses the folder it is started in unless PETITIONS_INSTANCE says otherwise.
_INSTANCE_HOME = ROOT if (ROOT / "pyproject.toml").is_file() else Path.cwd()
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


def plain_imap_password_problem(url):
    """Why BOUNCE_MAILBOX_URL would send a password unencrypted, or None (as ``plain_smtp_password_problem``)."""
    parts = urlsplit(url or "")
    if parts.scheme == "imap" and not _is_loopback(parts.hostname):
        return ("BOUNCE_MAILBOX_URL would log in over plain IMAP, unencrypted; use imaps://user:pass@host/INBOX "
                "(plain imap:// is allowed only to a server on this machine)")
    return None


# The longest local part of BOUNCE_ADDRESS: "+" and a 26-character token must fit in RFC 5321's 64.
BOUNCE_LOCAL_PART_MAX = 64 - 1 - 26
_BOUNCE_ADDRESS = re.compile(r"([A-Za-z0-9!#$%&'*/=?^_`{|}~.-]{1," + str(BOUNCE_LOCAL_PART_MAX) + r"})"
                             r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def bounce_address_parts(text):
    """(local part, domain) of a BOUNCE_ADDRESS, or None: plain ASCII, no "+" of its own, room for a token."""
    match = _BOUNCE_ADDRESS.fullmatch((text or "").strip())
    return (match.group(1), match.group(2).lower()) if match else None


def _is_bounce_mailbox_url(text):
    parts = urlsplit(text)
    if parts.scheme == "maildir":
        return not parts.netloc and parts.path.startswith("/")
    return parts.scheme in ("imap", "imaps") and bool(parts.hostname) and bool(parts.username)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _boolean(text):
    word = text.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ValueError(text)
    return word in _TRUE


def _whole_number(text):
    # Every number here is a count, a size or a duration: a negative one is a typing mistake.
    value = int(text.strip())
    if value < 0:
        raise ValueError(text)
    return value


def _number(text):
    value = float(text.strip())
    if not math.isfinite(value) or value < 0:
        raise ValueError(text)
    return value


def _items(text):
    return [item.strip() for item in text.split(",") if item.strip()]


# How a variable's text becomes a setting, by the type of the setting's default in Config,
# and what to tell the operator when it cannot. A setting whose default is None holds text.
CONVERTERS = {
    bool: (_boolean, "true or false (also 1/0, yes/no, on/off)"),
    int: (_whole_number, "a whole number, 0 or more"),
    float: (_number, "a number, 0 or more, such as 2 or 0.5"),
    list: (_items, "a comma-separated list"),
    str: (str, "text"),
}


class Config:
    ENV_NAME = "production"
    DEBUG = False
    TESTING = False
    DEV_MAILBOX = False

    # The folder of the SQLite database, the development mailbox and the development key.
    INSTANCE_DIR = str(_INSTANCE_HOME / "instance")
    # Read from DATABASE_URL; None means a SQLite file in INSTANCE_DIR.
    SQLALCHEMY_DATABASE_URI = None
    # None: development keeps a random key in INSTANCE_DIR, production refuses to start.
    SECRET_KEY = None
    SECRET_KEY_FALLBACKS = []
    # None: SECRET_KEY (see load).
    HASH_KEY = None
    BASE_URL = "http://127.0.0.1:5000"
    # None: the profile's default_mail_url (production has none and refuses to start).
    MAIL_URL = None
    MAIL_FROM = "Petitions <petitions@localhost>"
    # None: INSTANCE_DIR/mailbox.
    MAILBOX_DIR = None

    # Interface languages. Adding one means adding its catalogue under
    # translations/ and its code here (or in PETITIONS_LANGUAGES).
    SITE_NAME = "Petitions"
    LANGUAGES = ["en", "ru", "be", "de", "fr", "es", "uk", "pl", "lt", "fa"]
    DEFAULT_LANGUAGE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(resource_dir("translations"))

    SQLALCHEMY_ENGINE_OPTIONS = {}
    # A pooled PostgreSQL connection unused for this long is pinged before use (petitions/database.py); 0: every
    # time. Under a spike no connection idles a second, so no request pays that round trip: confirming went 11%
    # faster in paired load runs (BENCHMARKS.md, session 10). A connection the server dropped while in use then
    # costs one request the 503 page, and the pool is emptied and refilled.
    DATABASE_PING_IDLE_SECONDS = 1.0
    # Seconds to wait for PostgreSQL to accept a connection before the request gets the 503 page.
    DATABASE_CONNECT_TIMEOUT = 5
    # PgBouncer in transaction mode sits between the app and PostgreSQL; turns psycopg's prepared statements off.
    DATABASE_PGBOUNCER = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Signing
    CONFIRM_TOKEN_MAX_AGE = 7 * 24 * 3600
    WITHDRAW_TOKEN_MAX_AGE = 2 * 365 * 24 * 3600
    ERASE_TOKEN_MAX_AGE = 2 * 24 * 3600
    # Bot defence without third parties: a form filled faster than this is
    # dropped silently, as is one whose hidden honeypot field has content.
    FORM_MIN_SECONDS = 2.0
    # A confirm button pressed sooner than this after its page was served is a
    # mail scanner submitting what it finds: the press confirms nothing.
    CONFIRM_MIN_SECONDS = 1.0
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
    # What is left of a stopped "keep me informed" subscription (its hash, language and dates; the address
    # goes at once) is deleted this many days after it stopped.
    SUBSCRIBER_RETENTION_DAYS = 30
    # A signature's client fingerprint (the day's keyed hash of its network) is blanked this many days
    # after signing; until then the integrity page groups a day's signatures by it.
    FINGERPRINT_RETENTION_DAYS = 7

    # The integrity page flags an hour whose new signatures number at least FLOOD_HOUR_MINIMUM and more
    # than FLOOD_HOUR_FACTOR times the median of the non-empty hours of the 7 days before it.
    FLOOD_HOUR_FACTOR = 5.0
    FLOOD_HOUR_MINIMUM = 20

    # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
    TRUSTED_PROXIES = 0
    MAX_CONFIRMATION_SENDS = 3
    # A signature still pending this many hours after its last confirmation email gets one reminder,
    # which counts as one of MAX_CONFIRMATION_SENDS (petitions/mail/reminders.py). 0: no reminders.
    CONFIRM_REMINDER_HOURS = 24
    ALREADY_SIGNED_NOTICE_INTERVAL = 24 * 3600
    # Public pages and counts: seconds a rendering is reused in each process,
    # and seconds a proxy or browser may keep it (Cache-Control max-age).
    PUBLIC_CACHE_SECONDS = 2.0
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
    # Bounces and complaints (petitions/mail/return_paths.py, bounces.py). None: every message's envelope
    # sender is MAIL_FROM's address, as before. Set: it is <local>+<token>@<domain> of this address, one
    # token per message, and the mail server must deliver all of them to the mailbox BOUNCE_MAILBOX_URL
    # names, which `petitions mail bounces` reads: maildir:///path or imaps://user:pass@host/INBOX.
    BOUNCE_ADDRESS = None
    BOUNCE_MAILBOX_URL = None
    # A message's return path is remembered this long: a later bounce or complaint is not understood.
    BOUNCE_WINDOW_DAYS = 7
    # An address that hard-bounced or complained gets no mail it did not ask for this long after the last.
    SUPPRESSION_DAYS = 365

    # Rate limits (Flask-Limiter reads RATELIMIT_* itself)
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: each process counts in its own memory until Redis answers again,
    # and an error in the limiter never turns a request into a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_SIGN = "10 per minute;60 per hour"
    RATELIMIT_SIGN_EMAIL = "5 per hour"
    # The "keep me informed" form on an organisation's page, per client address and per address typed.
    RATELIMIT_SUBSCRIBE = "10 per minute;60 per hour"
    RATELIMIT_SUBSCRIBE_EMAIL = "5 per hour"
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
    # The largest delivery photo and response PDF an organiser may add to a petition's timeline; the
    # timeline's forms accept the larger of the two plus TEXT_MAX_CONTENT_LENGTH. A photo is kept re-encoded
    # (at most 2,000 pixels a side, a few hundred KB); a PDF is kept as sent, in the database.
    TIMELINE_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    TIMELINE_PDF_MAX_BYTES = 10 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    @classmethod
    def from_environment(cls, environ=None):
        """Return a dict of settings: this profile's defaults overridden by the environment."""
        env = os.environ if environ is None else environ
        warn_unknown_variables(env)
        settings = {name: copy.copy(getattr(cls, name)) for name in dir(cls) if name.isupper()}
        problems = []
        for name in environment_settings():
            try:
                value = read_variable(name, env)
            except ConfigError as problem:
                problems.append(str(problem))
                continue
            if value is not _UNSET:
                settings[name] = value
        if problems:
            raise ConfigError("\n".join(problems))
        for special_case in SPECIAL_CASES:
            special_case(cls, settings)
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
        problem = plain_imap_password_problem(settings.get("BOUNCE_MAILBOX_URL"))
        if problem:
            raise ConfigError(problem)
        if settings.get("PASSWORD_HASH_PROFILE") == "cheapest":
            # Readable from the environment like every setting, but made only to keep the test suite fast.
            raise ConfigError("PASSWORD_HASH_PROFILE=cheapest is for the tests; production hashes with default")
        if settings.get("SEALING_KDF_PROFILE") == "cheapest":
            # The same for passphrases that wrap the keys sealing signers' data: a seized database would give them up.
            raise ConfigError("SEALING_KDF_PROFILE=cheapest is for the tests; production uses moderate or stronger")


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


# Read by load() to pick the profile, before any setting.
PROFILE_VARIABLE = "PETITIONS_ENV"

# Settings whose variable is not their own name: operators' unit files have used these names from the start.
VARIABLES = {
    "INSTANCE_DIR": "PETITIONS_INSTANCE",
    "LANGUAGES": "PETITIONS_LANGUAGES",
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
}

# Only the profile decides these: a stray DEBUG or DEV_MAILBOX would open a live site's debugger or show every
# signer's mail to anyone, and the rest say how the code works (paths inside the package, the engine options
# load() builds, cookie flags that protect the session), not a choice an operator makes.
FIXED = frozenset({
    "ENV_NAME", "DEBUG", "TESTING", "DEV_MAILBOX", "BABEL_TRANSLATION_DIRECTORIES", "SQLALCHEMY_ENGINE_OPTIONS",
    "SQLALCHEMY_TRACK_MODIFICATIONS", "WTF_I18N_ENABLED", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
})


class ConfigWarning(UserWarning):
    """The environment holds something that looks meant for us but is not read."""


def environment_settings():
    """The names of the settings an operator can set from the environment."""
    return sorted(name for name in dir(Config) if name.isupper() and name not in FIXED)


def variable_for(name):
    return VARIABLES.get(name, name)


def environment_variables():
    """Every variable the configuration reads, PETITIONS_ENV included."""
    return {PROFILE_VARIABLE, *(variable_for(name) for name in environment_settings())}


def _one_of(*choices):
    return (lambda value: value in choices), "one of " + ", ".join(choices)


def _is_limit(text):
    try:
        return bool(parse_many(text))
    except ValueError:
        return False


def _is_database_url(text):
    try:
        make_url(text)
    except ArgumentError:
        return False
    return True


def _is_web_address(text):
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_mail_url(text):
    parts = urlsplit(text)
    return parts.scheme == "mailbox" or (parts.scheme in ("smtp", "smtp+starttls", "smtps") and bool(parts.hostname))


_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")

# What a converted value must also be, checked at startup rather than when the first request needs it.
CHECKS = {
    "SQLALCHEMY_DATABASE_URI": (_is_database_url, "an SQLAlchemy URL such as postgresql://user@host/petitions"),
    "BASE_URL": (_is_web_address, "an absolute http:// or https:// address"),
    "MAIL_URL": (_is_mail_url, "smtp://, smtp+starttls://, smtps:// with a host, or mailbox://"),
    "BOUNCE_ADDRESS": (lambda text: bounce_address_parts(text) is not None,
                       f"a plain address such as bounces@example.org, its local part at most "
                       f"{BOUNCE_LOCAL_PART_MAX} characters and without +"),
    "BOUNCE_MAILBOX_URL": (_is_bounce_mailbox_url, "maildir:///absolute/path or imaps://user:pass@host/INBOX"),
    "BOUNCE_WINDOW_DAYS": ((lambda number: number >= 1), "a whole number of days, 1 or more"),
    "RATELIMIT_STORAGE_URI": (lambda text: "://" in text, "a storage URI such as memory:// or redis://host:6379/0"),
    "LANGUAGES": (lambda codes: bool(codes) and all(_LANGUAGE_CODE.fullmatch(code) for code in codes),
                  "a comma-separated list of language codes such as en,ru,be,de"),
    # The names of argon2-cffi's profiles in accounts/services.py and of sealing/crypto.KDF_PROFILES.
    "PASSWORD_HASH_PROFILE": _one_of("default", "cheapest"),
    "SEALING_KDF_PROFILE": _one_of("moderate", "sensitive", "interactive", "cheapest"),
}
# Zero of these would claim no mail or wait for ever.
CHECKS.update({name: ((lambda number: number >= 1), "a whole number, 1 or more")
               for name in ("MAIL_BATCH_SIZE", "UPDATE_MAIL_BATCH", "MAIL_TIMEOUT",
                            "DATABASE_CONNECT_TIMEOUT")})
# Flask-Limiter would only find a mistyped limit when the first request asks for it.
CHECKS.update({name: (_is_limit, 'rate limits such as "10 per minute;60 per hour"')
               for name in dir(Config) if name.startswith("RATELIMIT_") and isinstance(getattr(Config, name), str)
               and name != "RATELIMIT_STORAGE_URI"})

_UNSET = object()


def read_variable(name, env):
    """The setting ``name`` from its variable in ``env``, or _UNSET if the variable is missing or blank."""
    variable = variable_for(name)
    text = env.get(variable, "")
    if not text.strip():
        return _UNSET
    kind = type(getattr(Config, name))
    convert, expects = CONVERTERS.get(kind, CONVERTERS[str])
    check, expects = CHECKS.get(name, (None, expects))
    try:
        value = convert(text)
    except ValueError:
        value = _UNSET
    if value is _UNSET or (check and not check(value)):
        # Text may hold a password (DATABASE_URL, MAIL_URL) or a key, so only a number or a yes/no is repeated.
        shown = f", not {text!r}" if kind in (bool, int, float) else ""
        raise ConfigError(f"{variable} must be {expects}{shown}")
    return value


def warn_unknown_variables(env):
    """Warn about PETITIONS_* variables nothing reads: a name mistyped in a unit file otherwise changes nothing."""
    known = environment_variables()
    for variable in sorted(name for name in env if name.startswith("PETITIONS_") and name not in known):
        bare = variable.removeprefix("PETITIONS_")
        hint = f"; the setting {bare} is read from {variable_for(bare)}" if bare in environment_settings() else ""
        warnings.warn(f"{variable} is not a setting and is ignored{hint}", ConfigWarning, stacklevel=3)


# The named special cases, applied in this order once every variable is read: defaults that depend on
# another setting or on the profile, and values put in the one form the rest of the code expects.

def _database_url(cls, settings):
    url = settings["SQLALCHEMY_DATABASE_URI"] or f"sqlite:///{Path(settings['INSTANCE_DIR']) / 'petitions.sqlite'}"
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)


def _instance_defaults(cls, settings):
    settings["MAILBOX_DIR"] = settings["MAILBOX_DIR"] or str(Path(settings["INSTANCE_DIR"]) / "mailbox")
    # Only when unset: the development key is created on disk the first time.
    settings["SECRET_KEY"] = settings["SECRET_KEY"] or cls.default_secret_key(settings["INSTANCE_DIR"])
    settings["MAIL_URL"] = settings["MAIL_URL"] or cls.default_mail_url()


def _base_url(cls, settings):
    # Links are built as BASE_URL + path, and every path starts with a slash.
    settings["BASE_URL"] = settings["BASE_URL"].rstrip("/")


def _rate_limit_storage(cls, settings):
    if settings["RATELIMIT_STORAGE_URI"].startswith(("redis", "valkey")):
        # An unreachable Redis answers nothing rather than refusing: give up quickly and fall back.
        settings["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 2, "socket_timeout": 2}


SPECIAL_CASES = (_database_url, _instance_defaults, _base_url, _rate_limit_storage)


def load(profile=None, overrides=None):
    """Build the settings for a profile (default: $PETITIONS_ENV or production)."""
    name = profile or os.environ.get(PROFILE_VARIABLE, "production")
    if name not in PROFILES:
        raise ConfigError(f"{PROFILE_VARIABLE} must be one of {', '.join(PROFILES)}, not {name!r}")
    cls = PROFILES[name]
    settings = cls.from_environment()
    settings.update(overrides or {})
    if name == "production" and settings.get("SECRET_KEY_FALLBACKS") and not settings.get("HASH_KEY"):
        # Rotating SECRET_KEY without pinning HASH_KEY would let every address sign again.
        raise ConfigError("SECRET_KEY_FALLBACKS is set, so HASH_KEY must be set too (to the original SECRET_KEY)")
    # The look-up hash key must outlive SECRET_KEY rotations; see address_hashes.lookup_key.
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

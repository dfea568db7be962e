"""Flask extensions, created unbound here and wired in ``create_app``."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names, so that Alembic migrations are the same on every
# database and a later migration can drop a constraint by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
class UnkeyedLimit(RuntimeError):
    """A rate limit was declared without its own key function."""


def _no_default_key():
    # Every limiter.limit passes its own key (petitions.ratelimits), each a keyed hash. A limit
    # without one would count raw client addresses in the limiter's storage: refuse it instead.
    raise UnkeyedLimit("every rate limit must pass key_func= (see petitions/ratelimits.py)")


limiter = Limiter(key_func=_no_default_key)


def unreachable_dependencies(config):
    """Names of the services this process needs that do not answer now: "database", "redis".

    Redis is asked only when it holds the rate limits; without it the limits
    are counted in each process's memory until it answers again.
    """
    from sqlalchemy import text

    down = []
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        down.append("database")
    uri = config.get("RATELIMIT_STORAGE_URI") or ""
    if config.get("RATELIMIT_ENABLED") and uri.startswith(("redis", "valkey")):
        try:
            answered = limiter.storage.check()
        except Exception:
            answered = False
        if not answered:
            down.append("redis")
    return down

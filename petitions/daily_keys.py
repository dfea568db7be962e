"""Random keys that live for one UTC day, so a client address is never stored.

Rate limits and fraud statistics see an HMAC of the address under the day's
key; ``purge`` deletes past days' keys, and the hashes made with them can no
longer be linked to an address.
"""
import hashlib
import hmac
import secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import DailyKey, utcnow

_key_cache = {}


def daily_key(purpose, now=None):
    """Today's random key for ``purpose``, shared by every process through the database.

    Created on first use in its own transaction, so a request that rolls back
    never takes the key with it.
    """
    day = (now or utcnow()).date()
    cached = _key_cache.get((purpose, day))
    if cached:
        return cached
    with db.engine.begin() as conn:
        key = conn.scalar(select(DailyKey.key).where(DailyKey.purpose == purpose, DailyKey.day == day))
    if key is None:
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(DailyKey).values(purpose=purpose, day=day, key=secrets.token_bytes(32), created_at=utcnow()))
        except IntegrityError:
            pass  # another process made today's key first; use theirs
        with db.engine.begin() as conn:
            key = conn.scalar(select(DailyKey.key).where(DailyKey.purpose == purpose, DailyKey.day == day))
    if len(_key_cache) > 8:
        _key_cache.clear()
    _key_cache[(purpose, day)] = key
    return key


def client_hash(address, now=None):
    """A keyed hash of a client address that stops being linkable once today's key is gone."""
    return hmac.new(daily_key("client", now), (address or "").encode(), hashlib.sha256).hexdigest()


def forget_cached_keys():
    """Drop the keys this process remembers, once purge has deleted past days' keys."""
    _key_cache.clear()

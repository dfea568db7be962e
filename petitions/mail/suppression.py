"""Who gets no more mail they did not ask for: addresses that hard-bounced, or whose owner reported us as spam.

The rule, in one place: a message of a kind in ``ASKED_FOR`` is the answer to
something its recipient just did (signed, asked to erase, forgot a password)
and always goes. Every other kind (updates, reminders, invitations, co-sign
decisions, subscriber mailings, and any kind added later) is not sent to a
suppressed address. It is checked when a message is queued (messages._queue)
and again when it is sent (outbox.render_claimed), since a bounce can arrive
while mail waits in the outbox. A message held back is dropped, not queued or
deleted from the outbox, and counted on the address's entry.

The list holds keyed hashes (address_hashes.email_hash), never addresses.
An entry lapses SUPPRESSION_DAYS after its last bounce or complaint (purge),
goes when the address confirms a signature again (it then demonstrably works
and its owner wants this petition's mail), and goes with "Erase my data".
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select, update

from ..address_hashes import email_hash
from ..extensions import db
from ..models import Suppression, SuppressionReason

# The kinds a person asked for by what they just did on the site: they go even to a suppressed address.
ASKED_FOR = frozenset({
    "confirm",             # they signed (again): the confirmation is how a signature counts
    "already_signed",      # the answer to signing again with a confirmed address
    "erase",               # they asked for their data to be erased
    "password_reset",      # an organiser asked for a new password
    "cosign_confirm",      # they signed on to an open letter
    "subscriber_confirm",  # they asked to be kept informed (double opt-in)
})

_SUPPRESSIONS = Suppression.__table__


def is_asked_for(kind):
    return kind in ASKED_FOR


def address_hash(address):
    """The keyed hash the list is kept by."""
    return email_hash(current_app.config["HASH_KEY"], address)


def suppressed_among(hashes):
    """The subset of ``hashes`` on the list: one query, by primary key."""
    hashes = set(hashes)
    if not hashes:
        return set()
    return set(db.session.scalars(select(Suppression.address_hash).where(Suppression.address_hash.in_(hashes))))


def count_dropped(hashes):
    """Count a message held back from each of ``hashes`` (already known to be on the list). Flushes."""
    for value in hashes:
        db.session.execute(update(_SUPPRESSIONS).where(_SUPPRESSIONS.c.address_hash == value)
                           .values(dropped=_SUPPRESSIONS.c.dropped + 1))


def withheld(kind, recipient):
    """True, and counted, when a message of ``kind`` must not be queued for ``recipient``."""
    if kind in ASKED_FOR or not recipient:
        return False
    value = address_hash(recipient)
    if not suppressed_among([value]):
        return False
    count_dropped([value])
    return True


def suppress(value, reason, now):
    """Put an address hash on the list (or renew its entry; a complaint outranks a bounce). Flushes."""
    if reason not in SuppressionReason.ALL:
        raise ValueError(f"unknown suppression reason {reason!r}")
    entry = db.session.get(Suppression, value)
    if entry is None:
        db.session.add(Suppression(address_hash=value, reason=reason, suppressed_at=now, dropped=0))
    else:
        entry.suppressed_at = max(entry.suppressed_at, now)
        if reason == SuppressionReason.COMPLAINED:
            entry.reason = reason
    db.session.flush()


# Every confirmation runs it (on PostgreSQL inside its UPDATE, see signing/services.py): built once.
LIFT = delete(_SUPPRESSIONS).where(_SUPPRESSIONS.c.address_hash == bindparam("value"))


def lift(value):
    """Take an address hash off the list. Returns whether it was on it. Flushes."""
    return bool(db.session.execute(LIFT, {"value": value}).rowcount)


def purge(now, days):
    """Delete entries whose last bounce or complaint is more than ``days`` old. Returns how many."""
    return db.session.execute(
        delete(_SUPPRESSIONS).where(_SUPPRESSIONS.c.suppressed_at < now - timedelta(days=days))).rowcount

"""Sealed signer data: what an organisation's rows keep sealed, and how they are sealed and opened.

The cryptography is in ``crypto`` (the only module that imports PyNaCl);
this module keeps its keys in the database:

- ``organisation_keys``: an organisation's public key. Its row is what "protection on" means.
- ``key_wraps``: the private key, each copy wrapped under one holder's passphrase.
- ``sealing_keys``: the public halves of the processes' ephemeral keys. Each
  process makes its own (per organisation), keeps the private half in memory
  only, and replaces it after SEALING_KEY_MAX_AGE seconds or a fork.

Opening a row needs the organisation's private key, which the server has
only while someone's passphrase or recovery kit unlocks it for one job.
"""
import os
import time

from flask import current_app
from sqlalchemy import bindparam, insert, select

from ..extensions import db
from ..models import KeyWrap, OrganisationKey, SealingKey, utcnow
from .crypto import (  # noqa: F401  (the names callers use)
    MIN_PASSPHRASE_LENGTH, BadRecoveryKit, EphemeralSealer, Opener, SealedDataError, WrongKey, fingerprint,
)
from . import crypto

# (pid, organisation id) -> (sealer, sealing key id, monotonic time made). Keyed by pid so a
# forked worker never shares its parent's ephemeral key. Protection is never turned off, so a
# sealer made from a committed key stays right; "not protected" is asked again every time, or
# a process would keep storing plaintext after protection was turned on.
_sealers = {}


class WeakPassphrase(ValueError):
    """The passphrase is shorter than MIN_PASSPHRASE_LENGTH characters."""


class AlreadyProtected(Exception):
    """The organisation's protection is already on."""


class NotProtected(Exception):
    """The organisation has no key: its rows are not sealed."""


# Built once: every signature asks it, and building it cost more than running it.
_PUBLIC_KEY = select(OrganisationKey.public_key).where(OrganisationKey.organisation_id == bindparam("organisation_id"))


def public_key_of(organisation_id):
    """The organisation's public key, or None when its protection is off."""
    if organisation_id is None:
        return None
    # On the session's connection, without the ORM: nothing here is an entity.
    return db.session.connection().execute(_PUBLIC_KEY, {"organisation_id": organisation_id}).scalar()


def organisation_key(organisation_id):
    return db.session.get(OrganisationKey, organisation_id)


def sealer_for(organisation_id, now=None):
    """(sealer, sealing key id) for this process and organisation, or None when protection is off.

    Call it before the request's first write: a new ephemeral key's public
    half is stored in a transaction of its own, so a request that rolls
    back never takes it with it (and, on SQLite, it never waits for the
    request's own write lock).
    """
    slot = (os.getpid(), organisation_id)
    found = _sealers.get(slot)
    if found is not None and time.monotonic() - found[2] < current_app.config["SEALING_KEY_MAX_AGE"]:
        return found[0], found[1]
    if public_key_of(organisation_id) is None:
        return None
    with db.engine.begin() as conn:
        # The committed key, not one this session may yet roll back.
        public = conn.scalar(
            select(OrganisationKey.public_key).where(OrganisationKey.organisation_id == organisation_id))
        if public is None:
            return None
        sealer = crypto.EphemeralSealer(public)
        key_id = conn.execute(insert(SealingKey).values(
            organisation_id=organisation_id, public_key=sealer.public_key, created_at=now or utcnow(),
        ).returning(SealingKey.id)).scalar_one()
    for other in [s for s in _sealers if s[0] != os.getpid()]:
        del _sealers[other]  # a parent's keys, inherited through fork: never used here
    _sealers[slot] = (sealer, key_id, time.monotonic())
    return sealer, key_id


def job_sealer(organisation_id, now=None):
    """(sealer, sealing key id) for one job that writes in its own transaction (turning protection on).

    Its public half is added to the job's session, so it stands or falls
    with the rows it seals; it is never reused after the job.
    """
    key = SealingKey(organisation_id=organisation_id, public_key=b"", created_at=now or utcnow())
    sealer = crypto.EphemeralSealer(public_key_of(organisation_id))
    key.public_key = sealer.public_key
    db.session.add(key)
    db.session.flush()
    return sealer, key.id


def forget_process_keys():
    """Drop this process's ephemeral keys (the tests, whose databases are emptied between them)."""
    _sealers.clear()


def seal(sealing, values):
    """(sealing key id, sealed bytes) of a dict of strings, with a sealer from ``sealer_for``."""
    sealer, key_id = sealing
    return key_id, sealer.seal(values)


# --- keys and their wraps -------------------------------------------------------------

def check_passphrase(passphrase):
    if len(passphrase or "") < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphrase(MIN_PASSPHRASE_LENGTH)


def create_key(organisation_id, passphrase, account=None, now=None):
    """Make the organisation's key pair and store its public key and one wrapped copy. Flushes.

    Returns the private key bytes, for the recovery kit; the caller drops them.
    Raises AlreadyProtected or WeakPassphrase.
    """
    check_passphrase(passphrase)
    if organisation_key(organisation_id) is not None:
        raise AlreadyProtected(organisation_id)
    now = now or utcnow()
    private, public = crypto.new_key_pair()
    db.session.add(OrganisationKey(organisation_id=organisation_id, public_key=public,
                                   fingerprint=fingerprint(public), created_at=now))
    _store_wrap(organisation_id, private, passphrase, account, now)
    db.session.flush()
    return private


def _store_wrap(organisation_id, private, passphrase, account, now):
    wrapped = crypto.wrap(private, passphrase, current_app.config["SEALING_KDF_PROFILE"])
    existing = db.session.scalar(select(KeyWrap).where(
        KeyWrap.organisation_id == organisation_id,
        KeyWrap.account_id.is_(None) if account is None else KeyWrap.account_id == account.id))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    db.session.add(KeyWrap(organisation_id=organisation_id, account_id=account.id if account else None,
                           created_at=now, **wrapped))


def grant(opener, organisation_id, account, passphrase, now=None):
    """Give ``account`` its own wrapped copy of the key an owner has unlocked (``opener``). Flushes.

    The member's copy opens with ``passphrase``, which they choose; it
    replaces any copy they held. Raises WeakPassphrase.
    """
    check_passphrase(passphrase)
    if opener.public_key != public_key_of(organisation_id):
        raise WrongKey("this key is not the organisation's")
    _store_wrap(organisation_id, opener.private_bytes(), passphrase, account, now or utcnow())
    db.session.flush()


def wrap_holders(organisation_id):
    """Account ids holding their own copy of the key (None stands for the operator's copy)."""
    return set(db.session.scalars(select(KeyWrap.account_id).where(KeyWrap.organisation_id == organisation_id)))


def open_key(organisation_id, passphrase=None, kit_text=None, account=None):
    """The organisation's key for one job, as a RowOpener; raises WrongKey, NotProtected.

    With a passphrase: the account's own copy if it has one, else the
    operator's copy. With a recovery kit: the key it holds, if it is this
    organisation's. The caller writes the unlock to the audit log and calls
    ``close()`` when the job is done.
    """
    public = public_key_of(organisation_id)
    if public is None:
        raise NotProtected(organisation_id)
    if kit_text is not None:
        private = crypto.read_recovery_kit(kit_text)
    else:
        wraps = {w.account_id: w for w in db.session.scalars(
            select(KeyWrap).where(KeyWrap.organisation_id == organisation_id))}
        found = (wraps.get(account.id) if account is not None else None) or wraps.get(None)
        if found is None or not passphrase:
            raise WrongKey("no copy of the key opens with a passphrase here")
        private = crypto.unwrap(found.salt, found.opslimit, found.memlimit, found.wrapped, passphrase)
    if crypto.public_of(private) != public:
        raise WrongKey("this key is not the organisation's")
    return RowOpener(organisation_id, private)


def recovery_kit(organisation_name, private, now=None):
    """The recovery kit's text for a private key (see crypto.recovery_kit)."""
    return crypto.recovery_kit(organisation_name, private, f"{(now or utcnow()):%Y-%m-%d}")


class RowOpener(crypto.Opener):
    """An unlocked key that finds the ephemeral keys its rows name in the database as it meets them."""

    def __init__(self, organisation_id, private):
        super().__init__(private)
        self.organisation_id = organisation_id

    def open_row(self, key_id, sealed):
        """The dict a sealed row holds ({} for a row with nothing sealed)."""
        if sealed is None:
            return {}
        if not self.knows(key_id):
            self._load_keys()
        return self.open(key_id, sealed)

    def row_function(self):
        """``open_row`` as a plain function, for an export's million rows."""
        return self.function(lambda key_id: self._load_keys())

    def _load_keys(self):
        # All of them at once: an export meets a few thousand, a moderation view a handful.
        for key_id, public in db.session.execute(
            select(SealingKey.id, SealingKey.public_key).where(SealingKey.organisation_id == self.organisation_id)
        ):
            if not self.knows(key_id):
                self.add_sealing_key(key_id, public)

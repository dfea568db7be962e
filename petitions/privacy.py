"""What we keep about signers, for how long, and how they take it back.

- Client addresses are never stored: rate limits and fraud statistics see
  an HMAC under a random key that lives for one UTC day and is then deleted.
- A withdrawn signature stops counting and loses everything that names a person.
- An erasure request removes every signature made with an address.
- ``purge`` deletes unconfirmed signatures and anonymises old petitions' signers.
"""
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import counting
from .extensions import db
from .links import external_url
from .mail import messages, outbox
from .models import DailyKey, OutboxMessage, Petition, PetitionStatus, PublicName, Signature, SignatureStatus, utcnow
from .security import email_hash, petition_hash_of
from .tokens import TokenInvalid, erasure_tokens

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


def initials(name):
    """'Ada King Lovelace' -> 'A. K. L.'"""
    return " ".join(f"{part[0]}." for part in name.split() if part[:1].isalpha()) or "…"


def shown_name(full_name, show_name, form):
    """The name as its signer agreed to show it (``form``: full or initials), or None if they did not.

    Stored at signing (``signatures.shown_name``), so listing signers never
    needs the full name, which may be sealed.
    """
    if not show_name or not full_name:
        return None
    return initials(full_name) if form == PublicName.INITIALS else full_name


def public_name(signature):
    """The name as its signer agreed to show it, or None if they did not."""
    return signature.shown_name if signature.show_name else None


def recent_public_signers(petition_id, limit=10):
    """The latest confirmed signers who opted in: (name as they chose, country code). Never email or city."""
    rows = db.session.execute(
        select(Signature.shown_name, Signature.country)
        .where(Signature.petition_id == petition_id, Signature.status == SignatureStatus.CONFIRMED,
               Signature.show_name.is_(True))
        .order_by(Signature.confirmed_at.desc())
        .limit(limit)
    ).all()
    return [(name, country) for name, country in rows if name]


_SCRUBBED = {"email": "", "full_name": "", "city": None, "email_hash": None, "shown_name": None,
             "sealed": None, "sealing_key_id": None}


def withdraw(signature, now=None):
    """Withdraw a signature: it stops counting and keeps nothing that names its signer.

    Returns False if it was already withdrawn. Country, language and dates
    stay, so the statistics an organiser reports remain true. The update is
    conditional on the status just read, and retried if a confirmation
    landed in between, so the count moves exactly once.
    """
    for _ in range(3):
        previous = signature.status
        if previous == SignatureStatus.WITHDRAWN:
            return False
        changed = db.session.execute(
            update(Signature)
            .where(Signature.id == signature.id, Signature.status == previous)
            .values(status=SignatureStatus.WITHDRAWN, withdrawn_at=now or utcnow(), **_SCRUBBED)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(signature)
        if changed:
            if previous == SignatureStatus.CONFIRMED:
                counting.add_to_count(signature.petition_id, current_app.config["COUNTER_SHARDS"], -1)
            outbox.forget_unsent([signature.id])
            return True
    return False


def _made_with(address_hash):
    """Rows signed with an address, by its site-wide hash: each petition keeps its own hash of it."""
    key = current_app.config["HASH_KEY"]
    # Petitions are few (hundreds); their ids are all it takes to compute every hash the address has.
    hashes = [petition_hash_of(key, petition_id, address_hash) for petition_id in db.session.scalars(select(Petition.id))]
    return Signature.email_hash.in_(hashes)


def signature_count_of(address_hash):
    """How many signatures were made with an address (by its site-wide keyed hash)."""
    return db.session.scalar(select(func.count()).select_from(Signature).where(_made_with(address_hash)))


def request_erasure(address, language):
    """Email the owner of ``address`` a link to erase everything made with it. Returns True if sent.

    Only an address that signed gets mail, so the form cannot be used to
    send mail to strangers; the page shown is the same either way.
    """
    address_hash = email_hash(current_app.config["HASH_KEY"], address)
    count = signature_count_of(address_hash)
    if not count:
        return False
    token = erasure_tokens(current_app).make({"h": address_hash})
    messages.queue_erasure_request(address, language, external_url("signing.erase", lang=language, token=token), count)
    return True


def erasure_target(token):
    """The address hash an erasure token names. Raises TokenInvalid or TokenExpired."""
    payload = erasure_tokens(current_app).read(token)
    address_hash = payload.get("h") if isinstance(payload, dict) else None
    if not isinstance(address_hash, str):
        raise TokenInvalid("malformed payload")
    return address_hash


def erase_everything(address_hash):
    """Delete every signature made with an address, and any mail still queued to it. Returns how many.

    Each confirmed row is deleted on condition that it is still confirmed, and
    the count moves only when that delete happened, so a double click or a
    concurrent withdrawal can never take the count below the truth.
    """
    shards = current_app.config["COUNTER_SHARDS"]
    erased = 0
    rows = db.session.execute(
        select(Signature.id, Signature.petition_id).where(_made_with(address_hash))
    ).all()
    outbox.forget_unsent([signature_id for signature_id, _ in rows])
    for signature_id, petition_id in rows:
        confirmed = db.session.execute(
            delete(Signature).where(Signature.id == signature_id, Signature.status == SignatureStatus.CONFIRMED)
        ).rowcount
        if confirmed:
            counting.add_to_count(petition_id, shards, -1)
        others = db.session.execute(delete(Signature).where(Signature.id == signature_id)).rowcount
        erased += confirmed + others
    db.session.expire_all()
    return erased


def purge(now=None, unconfirmed_days=7, anonymise_after_days=180, sent_mail_days=1):
    """Apply the retention rules once. Returns what was done, as counts."""
    now = now or utcnow()
    done = {}
    # Counted from the newest confirmation email, so a link re-sent on day 6 still works.
    last_asked = func.coalesce(Signature.confirmation_sent_at, Signature.created_at)
    stale = (Signature.status == SignatureStatus.PENDING) & (last_asked < now - timedelta(days=unconfirmed_days))
    # Each petition keeps how many went unconfirmed, so its dashboard's "never confirmed" survives the purge.
    for petition_id, expired in db.session.execute(
        select(Signature.petition_id, func.count()).where(stale).group_by(Signature.petition_id)
    ).all():
        db.session.execute(update(Petition).where(Petition.id == petition_id)
                           .values(expired_unconfirmed=Petition.expired_unconfirmed + expired))
    done["unconfirmed_deleted"] = db.session.execute(delete(Signature).where(stale)).rowcount
    ended = db.session.scalars(
        select(Petition).where(Petition.status.in_(PetitionStatus.ENDED), Petition.closed_at.is_not(None),
                               Petition.closed_at < now - timedelta(days=anonymise_after_days),
                               Petition.signers_anonymised_at.is_(None))
    ).all()
    anonymised = 0
    for petition in ended:
        anonymised += db.session.execute(
            update(Signature).where(Signature.petition_id == petition.id, Signature.anonymised_at.is_(None))
            .values(anonymised_at=now, **_SCRUBBED)
        ).rowcount
        petition.signers_anonymised_at = now
    done["petitions_anonymised"] = len(ended)
    done["signatures_anonymised"] = anonymised
    done["mail_forgotten"] = db.session.execute(
        delete(OutboxMessage).where(
            (OutboxMessage.sent_at < now - timedelta(days=sent_mail_days))
            | (OutboxMessage.sent_at.is_(None) & (OutboxMessage.created_at < now - timedelta(days=unconfirmed_days)))
        )
    ).rowcount
    done["keys_deleted"] = db.session.execute(delete(DailyKey).where(DailyKey.day < now.date())).rowcount
    _key_cache.clear()
    db.session.flush()
    return done

"""What we keep about signers, for how long, and how they take it back.

- Client addresses are never stored: rate limits and fraud statistics see
  an HMAC under a random key that lives for one UTC day and is then deleted.
- A withdrawn signature stops counting and loses everything that names a person;
  a withdrawn sign-on to an open letter is deleted.
- An erasure request removes every signature and letter sign-on made with an address.
- ``purge`` deletes unconfirmed signatures and sign-ons, and anonymises old
  petitions' signers and old letters' co-signers.
- What was deleted does not linger in the database files: SQLite overwrites
  deleted content (database.py) and its write-ahead log is emptied after each
  of these; on PostgreSQL ``purge`` vacuums the tables that hold personal data.
"""
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import Integer, bindparam, delete, func, insert, literal_column, select, text, true, update
from sqlalchemy.exc import IntegrityError

from . import counting, database
from .extensions import db
from .links import external_url
from .mail import messages, outbox
from .models import (
    DailyKey, LetterSignatory, OutboxMessage, Petition, PetitionStatus, PublicName, SignatoryStatus, Signature,
    SignatureStatus, utcnow,
)
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


# Written with literals, as the partial index ix_signatures_public_recent is: SQLite uses a partial
# index only for a query whose terms match its WHERE, and a bound parameter never does. Then the
# page reads ``limit`` index entries however few of a million signers chose to be listed.
_RECENT_PUBLIC = (
    select(Signature.shown_name, Signature.country)
    .where(Signature.petition_id == bindparam("of_petition"),
           Signature.show_name == true(), Signature.status == literal_column(f"'{SignatureStatus.CONFIRMED}'"))
    .order_by(Signature.confirmed_at.desc())
    .limit(bindparam("limit", type_=Integer))
)


# SQLite without ANALYZE statistics sometimes prefers the full (petition_id, confirmed_at) index and
# then walks a million rows; INDEXED BY settles it (and fails loudly if the index ever stops matching).
# SQLAlchemy's with_hint() is not rendered by its SQLite dialect, hence the text.
_RECENT_PUBLIC_SQLITE = text(
    "SELECT shown_name, country FROM signatures INDEXED BY ix_signatures_public_recent"
    f" WHERE petition_id = :of_petition AND show_name = 1 AND status = '{SignatureStatus.CONFIRMED}'"
    " ORDER BY confirmed_at DESC LIMIT :limit"
)


def recent_public_signers(petition_id, limit=10):
    """The latest confirmed signers who opted in: (name as they chose, country code). Never email or city."""
    query = _RECENT_PUBLIC_SQLITE if db.session.get_bind().dialect.name == "sqlite" else _RECENT_PUBLIC
    rows = db.session.execute(query, {"of_petition": petition_id, "limit": limit}).all()
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
            database.scrub_after_commit(db.session)
            return True
    return False


def _hashes_of(address_hash):
    """Every hash an address has, by its site-wide hash: each petition and letter keeps its own hash of it."""
    key = current_app.config["HASH_KEY"]
    # Petitions and letters are few (hundreds); their ids are all it takes to compute every hash.
    return [petition_hash_of(key, petition_id, address_hash) for petition_id in db.session.scalars(select(Petition.id))]


# Mail to co-signers carries no signature id; its context names the sign-on instead.
_COSIGN_MAIL = ("cosign_confirm", "cosign_decision")


def _forget_cosign_mail(rows):
    """Delete unsent mail about these sign-ons: it names people who are taking their signature back."""
    by_address = {}
    sealed = set()
    for row in rows:
        if row.email:
            by_address.setdefault(row.email, []).append(row)
        elif row.sealed is not None:
            sealed.add(row.id)
    if not by_address and not sealed:
        return
    # A sealed sign-on's address cannot be read: its mail is found by the sign-on its context names,
    # among all unsent co-signer mail (mail leaves within minutes, so there is little of it).
    query = select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.context).where(
        OutboxMessage.kind.in_(_COSIGN_MAIL), OutboxMessage.sent_at.is_(None))
    if not sealed:
        query = query.where(OutboxMessage.recipient.in_(list(by_address)))
    doomed = [message_id for message_id, recipient, context in db.session.execute(query).all()
              if (recipient in by_address and _is_about(context or {}, by_address[recipient]))
              or (context or {}).get("signatory_id") in sealed]
    if doomed:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(doomed)))


def _is_about(context, rows):
    # Mail queued before messages named their sign-on is matched by its letter.
    if "signatory_id" in context:
        return any(context["signatory_id"] == row.id for row in rows)
    return any(context.get("petition_id") == row.petition_id for row in rows)


def withdraw_sign_on(row):
    """Withdraw a sign-on to an open letter: it is deleted, so it leaves the list if it was approved.

    Nothing of it is kept: unlike a petition's count, a letter's list has no
    statistics that a scrubbed row would keep true. Unsent mail about it goes too.
    """
    _forget_cosign_mail([row])
    db.session.execute(delete(LetterSignatory).where(LetterSignatory.id == row.id)
                       .execution_options(synchronize_session=False))
    db.session.expunge(row)
    database.scrub_after_commit(db.session)


def signature_count_of(address_hash):
    """How many signatures, on petitions and open letters, were made with an address (by its site-wide hash)."""
    hashes = _hashes_of(address_hash)
    petitions = db.session.scalar(select(func.count()).select_from(Signature).where(Signature.email_hash.in_(hashes)))
    letters = db.session.scalar(
        select(func.count()).select_from(LetterSignatory).where(LetterSignatory.email_hash.in_(hashes)))
    return petitions + letters


def request_erasure(address, language):
    """Email the owner of ``address`` a link to erase everything made with it. Returns True if sent.

    Only an address that signed a petition or a letter gets mail, so the form cannot be used to
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
    """Delete every signature and letter sign-on made with an address, and mail still queued about them.

    Returns how many were deleted, signatures and sign-ons together.

    Each confirmed signature is deleted on condition that it is still confirmed, and
    the count moves only when that delete happened, so a double click or a
    concurrent withdrawal can never take the count below the truth.
    """
    shards = current_app.config["COUNTER_SHARDS"]
    erased = 0
    hashes = _hashes_of(address_hash)
    rows = db.session.execute(
        select(Signature.id, Signature.petition_id).where(Signature.email_hash.in_(hashes))
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
    sign_ons = db.session.scalars(select(LetterSignatory).where(LetterSignatory.email_hash.in_(hashes))).all()
    _forget_cosign_mail(sign_ons)
    if sign_ons:
        erased += db.session.execute(delete(LetterSignatory).where(
            LetterSignatory.id.in_([row.id for row in sign_ons]))
            .execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    database.scrub_after_commit(db.session)
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
    done["unconfirmed_letter_signatories_deleted"] = _delete_sign_ons(select(LetterSignatory).where(
        LetterSignatory.status == SignatoryStatus.UNCONFIRMED,
        func.coalesce(LetterSignatory.confirmation_sent_at, LetterSignatory.created_at)
        < now - timedelta(days=unconfirmed_days)))
    ended = db.session.scalars(
        select(Petition).where(Petition.status.in_(PetitionStatus.ENDED), Petition.closed_at.is_not(None),
                               Petition.closed_at < now - timedelta(days=anonymise_after_days),
                               Petition.signers_anonymised_at.is_(None))
    ).all()
    anonymised = cosigners_anonymised = unlisted = 0
    for petition in ended:
        anonymised += db.session.execute(
            update(Signature).where(Signature.petition_id == petition.id, Signature.anonymised_at.is_(None))
            .values(anonymised_at=now, **_SCRUBBED)
        ).rowcount
        if petition.kind == "letter":
            scrubbed, deleted = _anonymise_sign_ons(petition.id)
            cosigners_anonymised += scrubbed
            unlisted += deleted
        petition.signers_anonymised_at = now
    done["petitions_anonymised"] = len(ended)
    done["signatures_anonymised"] = anonymised
    done["letter_signatories_anonymised"] = cosigners_anonymised
    done["unlisted_letter_signatories_deleted"] = unlisted
    done["mail_forgotten"] = db.session.execute(
        delete(OutboxMessage).where(
            (OutboxMessage.sent_at < now - timedelta(days=sent_mail_days))
            | (OutboxMessage.sent_at.is_(None) & (OutboxMessage.created_at < now - timedelta(days=unconfirmed_days)))
        )
    ).rowcount
    done["keys_deleted"] = db.session.execute(delete(DailyKey).where(DailyKey.day < now.date())).rowcount
    _key_cache.clear()
    db.session.flush()
    database.scrub_after_commit(db.session)
    return done


# What a letter's public list shows stays: the name as listed, title, website, country. The sealed
# contact details go too, and the flag their address gave the moderator.
_CONTACT_SCRUBBED = {"email": "", "email_hash": None, "contact_name": "", "contact_role": "", "moderation_note": "",
                     "sealed": None, "sealing_key_id": None, "mail_flag": None}


def _delete_sign_ons(query):
    rows = db.session.scalars(query).all()
    if not rows:
        return 0
    _forget_cosign_mail(rows)
    deleted = db.session.execute(delete(LetterSignatory).where(LetterSignatory.id.in_([row.id for row in rows]))
                                 .execution_options(synchronize_session=False)).rowcount
    for row in rows:
        db.session.expunge(row)
    return deleted


def _anonymise_sign_ons(letter_id):
    """A long-ended letter: listed co-signers lose their contact details, the others are deleted.

    Returns (anonymised, deleted). A sign-on never listed (rejected, or never
    decided) has nothing public to keep, and its name may be a person's.
    """
    anonymised = db.session.execute(
        update(LetterSignatory).where(
            LetterSignatory.petition_id == letter_id, LetterSignatory.status == SignatoryStatus.APPROVED,
            (LetterSignatory.email != "") | LetterSignatory.email_hash.is_not(None)
            | (LetterSignatory.contact_name != "") | (LetterSignatory.moderation_note != "")
            | LetterSignatory.sealed.is_not(None),
        ).values(**_CONTACT_SCRUBBED).execution_options(synchronize_session=False)
    ).rowcount
    deleted = _delete_sign_ons(select(LetterSignatory).where(
        LetterSignatory.petition_id == letter_id, LetterSignatory.status != SignatoryStatus.APPROVED))
    return anonymised, deleted


# The tables that hold what a signer entered, vacuumed after purge on PostgreSQL.
PERSONAL_TABLES = ("signatures", "letter_signatories", "outbox_messages", "daily_keys")


def reclaim_space():
    """Make what purge (and the day's withdrawals and erasures) deleted unreadable in the database files.

    Call it after purge's commit: PostgreSQL cannot VACUUM inside a transaction.
    """
    return database.reclaim(db.engine, PERSONAL_TABLES)

"""Erasure on request: every signature, letter sign-on and subscription made with an address is deleted, with mail still
queued about them.

The request is confirmed by a link mailed to the address, so no one erases what another person signed.
"""
from flask import current_app
from sqlalchemy import delete, func, select

from . import database, subscribers
from .address_hashes import email_hash, petition_hash_of
from .extensions import db
from .links import external_url
from .mail import messages, outbox, suppression
from .models import LetterSignatory, Petition, Signature
from .tokens import TokenInvalid, erasure_tokens
from .withdrawal import forget_cosign_mail


def _hashes_of(address_hash):
    """Every hash an address has, by its site-wide hash: each petition and letter keeps its own hash of it."""
    key = current_app.config["HASH_KEY"]
    # Petitions and letters are few (hundreds); their ids are all it takes to compute every hash.
    return [petition_hash_of(key, petition_id, address_hash) for petition_id in db.session.scalars(select(Petition.id))]


def signature_count_of(address_hash):
    """How many signatures, on petitions and open letters, were made with an address (by its site-wide hash)."""
    hashes = _hashes_of(address_hash)
    petitions = db.session.scalar(select(func.count()).select_from(Signature).where(Signature.email_hash.in_(hashes)))
    letters = db.session.scalar(
        select(func.count()).select_from(LetterSignatory).where(LetterSignatory.email_hash.in_(hashes)))
    return petitions + letters


def subscription_count_of(address_hash):
    """How many organisations' "keep me informed" subscriptions an address has (by its site-wide hash)."""
    return subscribers.count_for_address(address_hash)


def request_erasure(address, language):
    """Email the owner of ``address`` a link to erase everything made with it. Returns True if sent.

    Only an address that signed a petition or a letter, or subscribed to an organisation's news,
    gets mail, so the form cannot be used to send mail to strangers; the page shown is the same either way.
    """
    address_hash = email_hash(current_app.config["HASH_KEY"], address)
    count = signature_count_of(address_hash)
    subscriptions = subscription_count_of(address_hash)
    if not count and not subscriptions:
        return False
    token = erasure_tokens(current_app).make({"h": address_hash})
    messages.queue_erasure_request(address, language, external_url("signing.erase", lang=language, token=token), count,
                                   subscriptions=subscriptions)
    return True


def erasure_target(token):
    """The address hash an erasure token names. Raises TokenInvalid or TokenExpired."""
    payload = erasure_tokens(current_app).read(token)
    address_hash = payload.get("h") if isinstance(payload, dict) else None
    if not isinstance(address_hash, str):
        raise TokenInvalid("malformed payload")
    return address_hash


def erase_everything(address_hash):
    """Delete every signature, letter sign-on and subscription made with an address, and mail still queued about them.

    Returns how many signatures and sign-ons were deleted (``subscription_count_of`` beforehand says how
    many subscriptions go with them).

    The count moves with the rows the deletes actually remove (the tally
    triggers), so a double click or a concurrent withdrawal can never take it
    below the truth.
    """
    erased = 0
    hashes = _hashes_of(address_hash)
    rows = db.session.execute(
        # In petition order, the order the tally triggers lock in: two erasures (or one and the purge) never deadlock.
        select(Signature.id, Signature.petition_id).where(Signature.email_hash.in_(hashes)).order_by(Signature.petition_id)
    ).all()
    outbox.forget_unsent([signature_id for signature_id, _ in rows])
    for signature_id, _ in rows:
        erased += db.session.execute(delete(Signature).where(Signature.id == signature_id)).rowcount
    sign_ons = db.session.scalars(select(LetterSignatory).where(LetterSignatory.email_hash.in_(hashes))).all()
    forget_cosign_mail(sign_ons)
    if sign_ons:
        erased += db.session.execute(delete(LetterSignatory).where(
            LetterSignatory.id.in_([row.id for row in sign_ons]))
            .execution_options(synchronize_session=False)).rowcount
    subscribers.erase_for_address(address_hash)
    # The suppression list's entry is about the address too; its return paths cannot be found by it (sealed).
    # Lifted last: a confirmation takes its signature's row before this entry (signing/services.py), so
    # taking the signatures first keeps the two from waiting on each other in a circle.
    suppression.lift(address_hash)
    db.session.expire_all()
    database.scrub_after_commit(db.session)
    return erased

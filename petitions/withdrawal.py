"""Taking a signature back: a withdrawn signature stops counting and loses everything that names a person;
a withdrawn sign-on to an open letter is deleted. Unsent mail about either goes too.

What was deleted does not linger in the database files: SQLite overwrites
deleted content (database.py) and its write-ahead log is emptied after each.
"""
from sqlalchemy import delete, select, update

from . import database
from .extensions import db
from .mail import outbox
from .models import LetterSignatory, OutboxMessage, Signature, SignatureStatus, utcnow

# What a withdrawn or anonymised signature loses: everything that names its signer.
SCRUBBED = {"email": "", "full_name": "", "city": None, "email_hash": None, "shown_name": None,
             "sealed": None, "sealing_key_id": None, "client_hash": None, "email_domain_hash": None}


def withdraw(signature, now=None):
    """Withdraw a signature: it stops counting and keeps nothing that names its signer.

    Returns False if it was already withdrawn. Country, language and dates
    stay, so the statistics an organiser reports remain true. The update is
    conditional on the status just read, and retried if a confirmation
    landed in between, so only a second withdrawal returns False. The count
    moves with the status (the tally triggers).
    """
    for _ in range(3):
        previous = signature.status
        if previous == SignatureStatus.WITHDRAWN:
            return False
        changed = db.session.execute(
            update(Signature)
            .where(Signature.id == signature.id, Signature.status == previous)
            .values(status=SignatureStatus.WITHDRAWN, withdrawn_at=now or utcnow(), **SCRUBBED)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.refresh(signature)
        if changed:
            outbox.forget_unsent([signature.id])
            database.scrub_after_commit(db.session)
            return True
    return False


# Mail to co-signers carries no signature id; its context names the sign-on instead.
_COSIGN_MAIL = ("cosign_confirm", "cosign_decision")


def forget_cosign_mail(rows):
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
    forget_cosign_mail([row])
    db.session.execute(delete(LetterSignatory).where(LetterSignatory.id == row.id)
                       .execution_options(synchronize_session=False))
    db.session.expunge(row)
    database.scrub_after_commit(db.session)

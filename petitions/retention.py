"""How long what signers entered is kept: ``purge`` applies the retention rules, ``reclaim_space`` makes the deleted unreadable.

``purge`` deletes unconfirmed signatures, sign-ons and subscriptions (and stopped
subscriptions' remains), anonymises the signers
of long-ended petitions and the co-signers of long-ended letters, forgets sent
mail and past days' keys. On PostgreSQL ``reclaim_space`` then vacuums the
tables that hold personal data; on SQLite it empties the write-ahead log.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from . import daily_keys, database, subscribers
from .extensions import db
from .mail import return_paths, suppression
from .models import (
    DailyKey, LetterSignatory, OutboxMessage, Petition, PetitionStatus, SignatoryStatus, Signature, SignatureStatus,
    utcnow,
)
from .withdrawal import SCRUBBED, forget_cosign_mail


def purge(now=None, unconfirmed_days=7, anonymise_after_days=180, sent_mail_days=1, subscriber_days=None):
    """Apply the retention rules once. Returns what was done, as counts.

    ``subscriber_days``: how long a stopped subscription's remains are kept (SUBSCRIBER_RETENTION_DAYS if None).
    """
    now = now or utcnow()
    done = {}
    # Counted from the newest confirmation email, so a link re-sent on day 6 still works.
    last_asked = func.coalesce(Signature.confirmation_sent_at, Signature.created_at)
    # A signature invalidated while pending was never confirmed either: it goes when it would have.
    never_confirmed = (Signature.status == SignatureStatus.PENDING) | (
        (Signature.status == SignatureStatus.INVALIDATED) & (Signature.invalidated_from == SignatureStatus.PENDING))
    stale = never_confirmed & (last_asked < now - timedelta(days=unconfirmed_days))
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
            .values(anonymised_at=now, **SCRUBBED)
        ).rowcount
        if petition.is_letter:
            scrubbed, deleted = _anonymise_sign_ons(petition.id)
            cosigners_anonymised += scrubbed
            unlisted += deleted
        petition.signers_anonymised_at = now
    done["petitions_anonymised"] = len(ended)
    done["signatures_anonymised"] = anonymised
    done["letter_signatories_anonymised"] = cosigners_anonymised
    done["unlisted_letter_signatories_deleted"] = unlisted
    done.update(subscribers.purge(now, unconfirmed_days, current_app.config["SUBSCRIBER_RETENTION_DAYS"]
                                  if subscriber_days is None else subscriber_days))
    done["fingerprints_blanked"] = _blank_fingerprints(
        now - timedelta(days=current_app.config["FINGERPRINT_RETENTION_DAYS"]))
    done["mail_forgotten"] = db.session.execute(
        delete(OutboxMessage).where(
            (OutboxMessage.sent_at < now - timedelta(days=sent_mail_days))
            | (OutboxMessage.sent_at.is_(None) & (OutboxMessage.created_at < now - timedelta(days=unconfirmed_days)))
        )
    ).rowcount
    # What a bounce needs of a message, kept BOUNCE_WINDOW_DAYS; suppressions lapse SUPPRESSION_DAYS after the last.
    done["return_paths_forgotten"] = return_paths.purge(now, current_app.config["BOUNCE_WINDOW_DAYS"])
    done["suppressions_lapsed"] = suppression.purge(now, current_app.config["SUPPRESSION_DAYS"])
    done["keys_deleted"] = db.session.execute(delete(DailyKey).where(DailyKey.day < now.date())).rowcount
    daily_keys.forget_cached_keys()
    db.session.flush()
    database.scrub_after_commit(db.session)
    return done


def _blank_fingerprints(before):
    """Blank the client fingerprints and domain hashes of signatures made before ``before``, so old ones cannot be grouped.

    Petition by petition, each through the range of its (petition_id, created_day, client_hash) index.
    A withdrawn signature loses its fingerprint and domain hash whatever its age (through the
    (petition_id, status) index): nothing of it should say where it came from.
    """
    blanked = 0
    for petition_id in db.session.scalars(select(Petition.id).order_by(Petition.id)).all():
        blanked += db.session.execute(
            update(Signature).where(Signature.petition_id == petition_id, Signature.created_day <= before.date(),
                                    Signature.client_hash.is_not(None) | Signature.email_domain_hash.is_not(None),
                                    Signature.created_at < before)
            # The domain's hash too: its key is on the server, and trying the likely domains would name it.
            .values(client_hash=None, email_domain_hash=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.execute(
            update(Signature).where(Signature.petition_id == petition_id,
                                    Signature.status == SignatureStatus.WITHDRAWN,
                                    Signature.client_hash.is_not(None) | Signature.email_domain_hash.is_not(None))
            .values(client_hash=None, email_domain_hash=None).execution_options(synchronize_session=False))
    return blanked


# What a letter's public list shows stays: the name as listed, title, website, country. The sealed
# contact details go too, and the flag their address gave the moderator.
_CONTACT_SCRUBBED = {"email": "", "email_hash": None, "contact_name": "", "contact_role": "", "moderation_note": "",
                     "sealed": None, "sealing_key_id": None, "mail_flag": None}


def _delete_sign_ons(query):
    rows = db.session.scalars(query).all()
    if not rows:
        return 0
    forget_cosign_mail(rows)
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
PERSONAL_TABLES = ("signatures", "letter_signatories", "outbox_messages", "daily_keys", "subscribers", "return_paths",
                   "mail_suppressions")


def reclaim_space():
    """Make what purge (and the day's withdrawals and erasures) deleted unreadable in the database files.

    Call it after purge's commit: PostgreSQL cannot VACUUM inside a transaction.
    """
    return database.reclaim(db.engine, PERSONAL_TABLES)

"""Protection of signer data: turning it on, unlocking the key for one job, and what is still plain.

Turning protection on is one step that leaves nothing behind: the
organisation's key is made, every existing row is sealed and its plaintext
blanked in the same transaction, and ``erase_leftovers`` then rewrites the
database so the old values are gone from its files (SQLite: secure_delete,
VACUUM and a WAL checkpoint that truncates; PostgreSQL: VACUUM FULL).
"""
from sqlalchemy import func, or_, select, update

from .. import sealing, subscribers
from ..accounts.services import audit
from ..database import checkpoint
from ..extensions import db
from ..letters.services import mail_flag
from ..models import LetterSignatory, Petition, Signature, utcnow

BATCH = 2000
# The tables whose old row versions may still hold a signer's plaintext after protection is on.
AFFECTED_TABLES = ("signatures", "letter_signatories", "outbox_messages", "subscribers")


class KeyLocked(Exception):
    """The organisation's rows are sealed: this job needs its key unlocked (passphrase or recovery kit)."""


def is_protected(organisation_id):
    return sealing.public_key_of(organisation_id) is not None


def turn_on(organisation, passphrase, actor, account=None, now=None):
    """Make the organisation's key and seal every row it has. Flushes; returns (private key, counts).

    The caller writes the recovery kit from the private key, commits, drops
    the key and then calls ``erase_leftovers``. Raises sealing.AlreadyProtected
    or sealing.WeakPassphrase.
    """
    now = now or utcnow()
    private = sealing.create_key(organisation.id, passphrase, account, now)
    sealer = sealing.job_sealer(organisation.id, now)
    petitions = select(Petition.id).where(Petition.organisation_id == organisation.id).scalar_subquery()
    counts = {"signatures": _seal_signatures(petitions, sealer), "sign-ons": _seal_signons(petitions, sealer),
              "subscribers": subscribers.seal_plain(organisation.id, sealer)}
    fingerprint = sealing.fingerprint(sealing.public_key_of(organisation.id))
    audit(organisation.id, actor, "key.create", detail={"fingerprint": fingerprint, **counts}, now=now)
    return private, counts


def seal_stragglers(organisation, now=None):
    """Seal rows stored plain by requests that read "protection off" just before it was turned on.

    Run once more after ``turn_on`` has committed and such requests have had
    time to finish. Flushes; returns how many rows it sealed.
    """
    if not is_protected(organisation.id):
        raise sealing.NotProtected(organisation.id)
    petitions = select(Petition.id).where(Petition.organisation_id == organisation.id).scalar_subquery()
    plain = db.session.scalar(select(func.count()).select_from(Signature).where(
        Signature.petition_id.in_(petitions), _plain_signatures())) + db.session.scalar(
        select(func.count()).select_from(LetterSignatory).where(LetterSignatory.petition_id.in_(petitions),
                                                                _plain_signons())) + subscribers.plain_count(organisation.id)
    if not plain:
        return 0
    sealer = sealing.job_sealer(organisation.id, now)
    return (_seal_signatures(petitions, sealer) + _seal_signons(petitions, sealer)
            + subscribers.seal_plain(organisation.id, sealer))


def _plain_signatures():
    return or_(Signature.email != "", Signature.full_name != "", Signature.city.is_not(None))


def _plain_signons():
    return or_(LetterSignatory.email != "", LetterSignatory.contact_name != "", LetterSignatory.contact_role != "")


def _seal_signatures(petitions, sealer):
    sealed, last = 0, 0
    while True:
        rows = db.session.execute(
            select(Signature.id, Signature.email, Signature.full_name, Signature.city)
            .where(Signature.petition_id.in_(petitions), Signature.id > last, _plain_signatures())
            .order_by(Signature.id).limit(BATCH)
        ).all()
        if not rows:
            return sealed
        changes = []
        for row in rows:
            key_id, box = sealing.seal(sealer, {"email": row.email, "full_name": row.full_name, "city": row.city})
            changes.append({"id": row.id, "sealing_key_id": key_id, "sealed": box, "email": "", "full_name": "",
                            "city": None})
        db.session.execute(update(Signature), changes)
        sealed += len(rows)
        last = rows[-1].id


def _seal_signons(petitions, sealer):
    sealed, last = 0, 0
    while True:
        rows = db.session.execute(
            select(LetterSignatory.id, LetterSignatory.kind, LetterSignatory.website, LetterSignatory.email,
                   LetterSignatory.contact_name, LetterSignatory.contact_role)
            .where(LetterSignatory.petition_id.in_(petitions), LetterSignatory.id > last, _plain_signons())
            .order_by(LetterSignatory.id).limit(BATCH)
        ).all()
        if not rows:
            return sealed
        changes = []
        for row in rows:
            contact = {"contact_name": row.contact_name, "contact_role": row.contact_role, "email": row.email}
            key_id, box = sealing.seal(sealer, contact)
            changes.append({"id": row.id, "sealing_key_id": key_id, "sealed": box, "email": "", "contact_name": "",
                            "contact_role": "", "mail_flag": mail_flag(row.email, row.kind, row.website)})
        db.session.execute(update(LetterSignatory), changes)
        sealed += len(rows)
        last = rows[-1].id


def erase_leftovers(engine):
    """Rewrite the database files so no blanked value survives in them; call after the commit.

    Returns a list of what was done, for the operator. Old copies outside
    the database's own files (backups, PostgreSQL's WAL archive, freed disk
    blocks) are beyond its reach: SECURITY.md says so.
    """
    done = []
    if engine.dialect.name == "sqlite":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # secure_delete is on for every connection (database.py); VACUUM rewrites every page.
            conn.exec_driver_sql("VACUUM")
            done.append("VACUUM")
        truncated = checkpoint(engine)
        done.append("wal_checkpoint(TRUNCATE)" + ("" if truncated else " (busy: a reader held it back; "
                                                                         "the mail worker truncates it later)"))
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in AFFECTED_TABLES:
                conn.exec_driver_sql(f"VACUUM FULL {table}")
                done.append(f"VACUUM FULL {table}")
    return done


def status(organisation):
    """What ``petitions keys status`` prints: whether protection is on, the fingerprint, sealed and plain rows."""
    key = sealing.organisation_key(organisation.id)
    petitions = select(Petition.id).where(Petition.organisation_id == organisation.id).scalar_subquery()

    def count(model, where):
        return db.session.scalar(select(func.count()).select_from(model).where(model.petition_id.in_(petitions), where))

    return {
        "protected": key is not None,
        "fingerprint": key.fingerprint if key else None,
        "sealed": count(Signature, Signature.sealed.is_not(None)) + count(LetterSignatory, LetterSignatory.sealed.is_not(None))
        + subscribers.sealed_count(organisation.id),
        "plain": count(Signature, _plain_signatures()) + count(LetterSignatory, _plain_signons())
        + subscribers.plain_count(organisation.id),
        "holders": len(sealing.wrap_holders(organisation.id)),
    }


def unlock(organisation_id, actor, purpose, passphrase=None, kit_text=None, account=None, petition=None):
    """The organisation's key for one job (``purpose``: "export", "update", "moderation" …), audited.

    Returns a sealing.RowOpener; the caller closes it when the job is done
    and never keeps it. A refused unlock is audited too, then
    sealing.WrongKey is raised; NotProtected if there is no key.
    """
    how = "recovery kit" if kit_text is not None else "passphrase"
    try:
        opener = sealing.open_key(organisation_id, passphrase=passphrase, kit_text=kit_text, account=account)
    except sealing.WrongKey:
        audit(organisation_id, actor, "key.unlock_refused", petition=petition, detail={"for": purpose, "with": how})
        raise
    audit(organisation_id, actor, "key.unlock", petition=petition, detail={"for": purpose, "with": how})
    return opener

"""One reminder for a signature still pending: its confirmation link again, said to be the last.

A signature still pending ``CONFIRM_REMINDER_HOURS`` after its last
confirmation email gets one reminder, in its language, and never a second
(``signatures.reminder_sent_at``). A reminder is a confirmation email like a
re-send: it counts as one of ``MAX_CONFIRMATION_SENDS``, and the retention
period (``UNCONFIRMED_RETENTION_DAYS``) counts again from it, so its link
never outlives the row it names, and the email can say when the signature
will be deleted. Earlier links stay valid as they do after any re-send: a
link stops working only when the details it showed change.

Why a job rather than a message queued at signing time with a later
``next_attempt_at``: a queued message would carry a link made a day early
(superseded if the signer changes their details meanwhile), would need
deleting on every confirmation, and could not know the cap on sends or the
retention period as they are when it goes out. The job instead reads the due
signatures from the start of a small partial index
(``ix_signatures_reminder_due``: pending, readable, not yet reminded, by
last confirmation email), a batch at a time, and marks and queues them in the
same transaction. It never scans a petition's signatures. The mail worker
runs it once a minute (``look_now``/``queue_due_batch``); ``petitions mail
reminders`` runs it once.

Never reminded: a signature confirmed, withdrawn, invalidated or erased (not
pending, or gone; their unsent mail is dropped, see ``forget_unsent_reminder``
and outbox.forget_unsent); one whose retention has run out (purge deletes it,
or is about to); one that used every confirmation email; one on a petition
not open for signing; and a sealed one. When an organisation's protection is
on, the server cannot read a signer's address after the signing request, and
keeping a readable copy for a day to remind them would undo the protection:
so sealed signatures get no reminder (the dashboard says so). A reminder is
queued as kind "reminder", which the outbox treats as mail nobody asked for.
"""
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Integer, bindparam, delete, text, update

from .. import sealing
from ..extensions import db
from ..models import EventKind, OutboxMessage, PetitionStatus, Signature, SignatureStatus, UTCDateTime, utcnow
from ..models.events import count_event, event_total
from ..signature_links import confirmation_url, withdraw_url
from . import messages

KIND = "reminder"
# Signatures reminded per transaction, and how often the mail worker looks for due ones.
BATCH = 200
LOOK_EVERY_SECONDS = 60

_PENDING = f"'{SignatureStatus.PENDING}'"
_SIGNABLE = ", ".join(f"'{status}'" for status in sorted(PetitionStatus.SIGNABLE))
# Written with literals where the partial index has them: SQLite uses a partial index only for a query whose
# terms match its WHERE (a bound parameter never does), and INDEXED BY makes sure it is that index, never one
# that walks a petition's signatures. Oldest first, so a backlog never starves the longest waiting.
_DUE = (
    "SELECT s.id, s.confirmation_sent_at FROM signatures AS s{hint}"
    f" WHERE s.status = {_PENDING} AND s.reminder_sent_at IS NULL AND s.sealed IS NULL"
    " AND s.confirmation_sent_at <= :newest AND s.confirmation_sent_at > :oldest"
    " AND s.confirmation_sends < :max_sends"
    f" AND s.petition_id IN (SELECT p.id FROM petitions AS p WHERE p.status IN ({_SIGNABLE}))"
    " ORDER BY s.confirmation_sent_at LIMIT :limit{lock}"
)
_DUE_BY_DIALECT = {
    dialect: text(_DUE.format(hint=hint, lock=lock)).bindparams(
        bindparam("newest", type_=UTCDateTime()), bindparam("oldest", type_=UTCDateTime()),
        bindparam("max_sends", type_=Integer()), bindparam("limit", type_=Integer()),
    ).columns(id=Integer(), confirmation_sent_at=UTCDateTime())
    for dialect, hint, lock in [
        ("sqlite", " INDEXED BY ix_signatures_reminder_due", ""),
        # Two workers never take the same rows, nor wait for each other's.
        ("postgresql", "", " FOR UPDATE OF s SKIP LOCKED"),
    ]
}


def due_window(now, config):
    """(oldest, newest): last confirmation emails sent after ``oldest`` and by ``newest`` are due a reminder.

    None when reminders are off, or when one would come only after the signature's retention ran out.
    """
    hours = config["CONFIRM_REMINDER_HOURS"]
    if hours <= 0:
        return None
    newest = now - timedelta(hours=hours)
    oldest = now - timedelta(days=config["UNCONFIRMED_RETENTION_DAYS"])
    return (oldest, newest) if newest > oldest else None


def queue_due(now=None, limit=BATCH):
    """Remind up to ``limit`` due signatures: mark each and queue its email. Returns how many. Flushes; commit after.

    Each is marked by an UPDATE that checks again that it is pending, not
    reminded, readable and under the cap, so a confirmation, a withdrawal or
    another worker that got there first wins, and no one is reminded twice.
    A reminder the outbox holds back (an address that bounced or complained,
    suppression.py) still settles the signature's one reminder, but takes
    none of its confirmation emails and leaves its retention as it was; it is
    counted among those reminded here, not on the dashboard.
    """
    config = current_app.config
    now = now or utcnow()
    window = due_window(now, config)
    if window is None:
        return 0
    oldest, newest = window
    max_sends = config["MAX_CONFIRMATION_SENDS"]
    dialect = db.session.get_bind().dialect.name
    previous = dict(db.session.execute(_DUE_BY_DIALECT.get(dialect, _DUE_BY_DIALECT["postgresql"]),
                                       {"newest": newest, "oldest": oldest, "max_sends": max_sends, "limit": limit}).all())
    if not previous:
        return 0
    reminded = db.session.scalars(
        update(Signature)
        .where(Signature.id.in_(list(previous)), Signature.status == SignatureStatus.PENDING,
               Signature.reminder_sent_at.is_(None), Signature.sealed.is_(None),
               Signature.confirmation_sends < max_sends)
        .values(reminder_sent_at=now, confirmation_sent_at=now, confirmation_sends=Signature.confirmation_sends + 1)
        .returning(Signature),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).all()
    days = config["UNCONFIRMED_RETENTION_DAYS"]
    sent = Counter()
    for signature in reminded:
        if messages.queue_reminder(signature, confirmation_url(signature), withdraw_url(signature), days, now=now):
            sent[signature.petition_id] += 1
        else:
            db.session.execute(update(Signature).where(Signature.id == signature.id).values(
                confirmation_sends=Signature.confirmation_sends - 1, confirmation_sent_at=previous[signature.id]))
    for petition_id, count in sorted(sent.items()):
        count_event(db.session, petition_id, EventKind.REMINDER_SENT, delta=count)
    db.session.flush()
    return len(reminded)


_NEXT_LOOK = "petitions.reminders_next_look"  # in app.extensions: when this app's worker next looks (monotonic)


def look_now():
    """Whether the mail worker should look for due signatures now: once a minute, and at once while a backlog lasts."""
    return time.monotonic() >= current_app.extensions.get(_NEXT_LOOK, 0.0)


def queue_due_batch(limit=BATCH):
    """The mail worker's turn: one batch (``queue_due``); a batch that is not full means wait a minute. Flushes."""
    queued = queue_due(limit=limit)
    if queued < limit:
        current_app.extensions[_NEXT_LOOK] = time.monotonic() + LOOK_EVERY_SECONDS
    return queued


def confirmed_after_reminder(signature_id, petition_id):
    """A reminded signature was confirmed: count it, and drop its reminder if it is still unsent. Flushes.

    In the confirmation's transaction, so the dashboard's figure is exact.
    """
    count_event(db.session, petition_id, EventKind.REMINDER_CONFIRMED)
    forget_unsent_reminder(signature_id)


def forget_unsent_reminder(signature_id):
    """Delete the signature's reminder if it has not gone yet: it would ask for what is already done."""
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.signature_id == signature_id, OutboxMessage.kind == KIND, OutboxMessage.sent_at.is_(None)))


@dataclass(frozen=True)
class ReminderFigures:
    """What the dashboard says about reminders of one petition."""

    hours: int       # CONFIRM_REMINDER_HOURS; 0 when reminders are off
    sent: int
    confirmed: int   # of those reminded, how many then confirmed
    sealed: bool     # the organisation's protection is on: its new signatures get no reminder

    @property
    def share(self):
        """The part of reminded signers who confirmed, or None before any reminder."""
        return self.confirmed / self.sent if self.sent else None


def dashboard_figures(petition):
    """Reminders sent for ``petition`` and confirmations after them, from its event counts; None if nothing to say.

    Two reads of a few primary-key rows: never the signatures.
    """
    hours = current_app.config["CONFIRM_REMINDER_HOURS"]
    sent = event_total(db.session, petition.id, EventKind.REMINDER_SENT)
    if hours <= 0 and not sent:
        return None
    return ReminderFigures(
        hours=max(hours, 0), sent=sent,
        confirmed=event_total(db.session, petition.id, EventKind.REMINDER_CONFIRMED),
        sealed=sealing.public_key_of(petition.organisation_id) is not None,
    )

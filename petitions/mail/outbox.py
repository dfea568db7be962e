"""The outbox: mail is queued with the change that caused it and delivered later.

petitions/mail/messages.py queues each kind of message and renders it here,
when it is sent.

Queuing in the same transaction means a signature is never stored without
its confirmation email, nor an email sent for a signature that rolled back.
A message is marked sent only after the server accepted it; if the server is
down it stays queued and is retried with growing delays.

Claims. A worker never holds a transaction open while it talks to the mail
server. It *claims* a few due rows in one short transaction (``claim``:
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never
claim the same row; SQLite serialises writers, and the worker takes a lock
file around the claim), setting ``claimed_until`` to now plus a lease, and
commits. It then sends them one at a time over one connection and records
each in its own short transaction right after the server accepted it
(``mark_sent``), or a refusal (``mark_failed``). A row whose lease has
not run out is no other worker's to send. So:

- an orderly stop sends nothing twice: the worker finishes the message in
  flight, records it and gives its other claims back (``release``);
- a crash repeats at most the one message in flight, whose acceptance was
  not recorded; the rest of its claim is sent by another worker once the
  lease runs out. Every row keeps its Message-ID, so a repeat is
  recognisable;
- a worker starts no message whose lease could run out while it is sent
  (petitions/mail/worker.py), so a slow relay never lets two workers send
  the same row.

Leases are compared with each worker's clock: workers on several machines
need their clocks in step to well within the lease (NTP does that).
"""
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from time import process_time

from flask import current_app
from sqlalchemy import bindparam, delete, null, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import OutboxMessage
from . import messages, return_paths, suppression
from .compose import Outgoing, compose
from .stats import CPU
from .transport import new_message_id

FIRST_RETRY_SECONDS = 30
# Recording a result is a plain UPDATE by id: the table, not the ORM, so it costs little per message.
OUTBOX = OutboxMessage.__table__


def backoff(attempts, maximum):
    """Seconds to wait after ``attempts`` failures: 30 s, 1 min, 2 min ... up to ``maximum``."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), maximum)


def build_email(row, sender, envelope=None):
    """The email a queued row stands for, rendered now (messages.render), with the row's own Message-ID.

    An ``Outgoing`` (its bytes) as a rule, an ``EmailMessage`` when its addresses need more (compose.py).
    ``envelope``: its return path (return_paths.py), the envelope sender instead of ``sender``'s address.
    """
    started = process_time()
    subject, text_body, html_body = messages.render(row)
    rendered = process_time()
    message = compose(sender, row.recipient, subject, text_body, html_body,
                      row.message_id or new_message_id(sender), row.headers, envelope)
    CPU.add(render=rendered - started, build=process_time() - rendered)
    return message


def due_messages(now, limit):
    """Messages waiting to go and claimed by no one, oldest first; rows another worker is claiming are skipped."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now,
               or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalars(query).all()


def claim(now, limit, lease_seconds, sender):
    """Claim up to ``limit`` due messages until ``now + lease_seconds``. Returns (ids, until). Flushes; commit at once.

    A row claimed for the first time gets its Message-ID here, so every
    attempt to send it carries the same one.
    """
    rows = due_messages(now, limit)
    until = now + timedelta(seconds=lease_seconds)
    for row in rows:
        row.claimed_until = until
        if not row.message_id:
            row.message_id = new_message_id(sender, idstring=f"outbox.{row.id}")
    db.session.flush()
    return [row.id for row in rows], until


@dataclass
class Ready:
    """A claimed message, rendered and ready for the server."""
    id: int
    attempts: int
    email: Outgoing | EmailMessage
    # Its petition and return path, recorded with it once the server accepts it (record_sent).
    sent: return_paths.Sent | None = None


def render_claimed(ids, sender, now, max_backoff):
    """Render the claimed rows. Returns (ready, failed): a message that cannot be rendered waits for its retry.

    Every message is rendered before the first is sent: a database error
    while rendering (raised) then stops the claim before the server has any
    of it. A message to an address on the suppression list that its
    recipient did not ask for is dropped here (suppression.py): a bounce
    may have come in since it was queued. Flushes; the caller commits.
    """
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)).all()
    # Keyed hashes of the recipients: for the list, and for the return paths when bounces are read.
    tracking = bool(current_app.config.get("BOUNCE_ADDRESS"))
    hashes = {row.id: suppression.address_hash(row.recipient) for row in rows
              if row.recipient and (tracking or not suppression.is_asked_for(row.kind))}
    rows = _without_suppressed(rows, hashes)
    ready, failed = [], 0
    for row in rows:
        try:
            sent, envelope = return_paths.prepare(row, hashes.get(row.id))
            ready.append(Ready(row.id, row.attempts, build_email(row, sender, envelope), sent))
        except SQLAlchemyError:
            raise
        except Exception as exc:
            current_app.logger.exception("outbox message %s could not be rendered", row.id)
            mark_failed(row.id, row.attempts, exc, now, max_backoff)
            failed += 1
    db.session.flush()
    return ready, failed


def _without_suppressed(rows, hashes):
    """``rows`` less the messages held back from suppressed addresses, which are deleted and counted.

    ``hashes``: the recipients' keyed hashes by row id.
    """
    unasked = {row.id for row in rows if row.id in hashes and not suppression.is_asked_for(row.kind)}
    on_list = suppression.suppressed_among(hashes[row_id] for row_id in unasked)
    held = [row for row in rows if row.id in unasked and hashes[row.id] in on_list]
    if not held:
        return rows
    db.session.execute(delete(OUTBOX).where(OUTBOX.c.id.in_([row.id for row in held])))
    suppression.count_dropped(hashes[row.id] for row in held)
    for row in held:
        db.session.expunge(row)
    current_app.logger.info("%d queued messages not sent: their addresses bounced or complained", len(held))
    return [row for row in rows if row not in held]


def record_sent(ready, now):
    """``mark_sent``, and, the first time only, the petition's count of mail sent and the message's return path."""
    if mark_sent(ready.id, now) and ready.sent is not None:
        return_paths.remember(ready.sent, now)


# Run once per message delivered: built once (building it cost as much as sending it to the database).
_MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.sent_at.is_(None))
    # Once the server has the message we keep no copy of who it went to or
    # what it said; headers go too (List-Unsubscribe names the signature).
    .values(sent_at=bindparam("now", type_=OUTBOX.c.sent_at.type), recipient="", context=null(), headers=null(),
            subject="", text_body="", html_body="", last_error=None, claimed_until=None)
)


def mark_sent(message_id, now):
    """Record that the server accepted a message, and forget who it went to and what it said. Flushes.

    Returns whether this recorded it: False when it was recorded already, or is gone.
    """
    return bool(db.session.execute(_MARK_SENT, {"row_id": message_id, "now": now}).rowcount)


def mark_failed(message_id, attempts, exc, now, max_backoff):
    """Count a failed attempt (``attempts`` is the count before it) and set the retry time. Flushes."""
    db.session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == message_id, OUTBOX.c.sent_at.is_(None))
        .values(attempts=attempts + 1, last_error=str(exc)[:500], claimed_until=None,
                next_attempt_at=now + timedelta(seconds=backoff(attempts + 1, max_backoff)))
    )


def release(ids, until):
    """Give back messages claimed ``until`` then, untried: due again at once, no attempt counted. Flushes.

    Only rows still under that claim: one that ran out and was claimed by
    another worker stays that worker's.
    """
    if ids:
        db.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), OUTBOX.c.sent_at.is_(None), OUTBOX.c.claimed_until == until)
            .values(claimed_until=None)
        )


def forget_unsent(signature_ids):
    """Delete unsent mail about these signatures: it names people who took their signature back."""
    if signature_ids:
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.signature_id.in_(signature_ids), OutboxMessage.sent_at.is_(None))
        )


def pending_count():
    return db.session.scalar(select(db.func.count()).where(OutboxMessage.sent_at.is_(None)))

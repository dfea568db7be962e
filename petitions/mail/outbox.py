"""The outbox: mail is queued with the change that caused it and delivered later.

petitions/mail/messages.py queues each kind of message and renders it here,
when it is sent.

Queuing in the same transaction means a signature is never stored without
its confirmation email, nor an email sent for a signature that rolled back.
A message is marked sent only after the server accepted it; if the server is
down it stays queued and is retried with growing delays.
"""
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import OutboxMessage, utcnow
from . import messages
from .transport import ConnectionFailed, TransportError, stamp

FIRST_RETRY_SECONDS = 30


def backoff(attempts, maximum):
    """Seconds to wait after ``attempts`` failures: 30 s, 1 min, 2 min ... up to ``maximum``."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), maximum)


def build_email(row, sender):
    """The email a queued row stands for, rendered now (messages.render)."""
    subject, text_body, html_body = messages.render(row)
    message = EmailMessage()
    message["To"] = row.recipient
    message["Subject"] = subject
    for name, value in (row.headers or {}).items():
        message[name] = value
    stamp(message, sender)
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    return message


def due_messages(now, limit):
    """Messages waiting to go, oldest first; rows another worker holds are skipped."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalars(query).all()


def deliver_due(transport, sender, now=None, limit=50, max_backoff=3600):
    """Deliver up to ``limit`` due messages. Returns (sent, failed). Flushes; caller commits.

    Every message is rendered before the first is sent: a database error
    while rendering then aborts the batch before the server has any of it,
    so nothing can go out twice. A message that cannot be rendered waits for
    its retry without holding up the rest.
    """
    now = now or utcnow()
    rows = due_messages(now, limit)
    if not rows:
        return 0, 0
    sent = failed = 0
    ready = []
    for row in rows:
        try:
            ready.append((row, build_email(row, sender)))
        except SQLAlchemyError:
            raise
        except Exception as exc:
            current_app.logger.exception("outbox message %s could not be rendered", row.id)
            _failed(row, exc, now, max_backoff)
            failed += 1
    if not ready:
        db.session.flush()
        return sent, failed
    try:
        with transport.session() as send:
            for row, email in ready:
                try:
                    send(email)
                except ConnectionFailed:
                    raise
                except TransportError as exc:
                    _failed(row, exc, now, max_backoff)
                    failed += 1
                else:
                    _sent(row, now)
                    sent += 1
    except ConnectionFailed as exc:
        # The server is unreachable: every message not yet sent waits its turn.
        for row, _email in ready:
            if row.sent_at is None:
                _failed(row, exc, now, max_backoff)
                failed += 1
    db.session.flush()
    return sent, failed


def _sent(row, now):
    row.sent_at = now
    # Once the server has the message we keep no copy of who it went to or what it said.
    row.recipient = ""
    row.context = None
    row.headers = None  # List-Unsubscribe carries a link that names the signature
    row.subject = ""
    row.text_body = ""
    row.html_body = ""
    row.last_error = None


def _failed(row, exc, now, max_backoff):
    row.attempts += 1
    row.last_error = str(exc)[:500]
    row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, max_backoff))


def forget_unsent(signature_ids):
    """Delete unsent mail about these signatures: it names people who took their signature back."""
    if signature_ids:
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.signature_id.in_(signature_ids), OutboxMessage.sent_at.is_(None))
        )


def pending_count():
    return db.session.scalar(select(db.func.count()).where(OutboxMessage.sent_at.is_(None)))

"""Outgoing email, queued in the same transaction as the change that caused it."""
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The signature a message is about, so withdrawing or erasing it can drop
    # its unsent mail directly. None for mail about no one signature.
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), nullable=True, index=True
    )
    recipient: Mapped[str] = mapped_column(String(320))
    # Extra headers, such as List-Unsubscribe on updates (RFC 8058).
    headers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # What the message says, as facts: its language and the values its
    # templates need. The sender renders it (petitions/mail/messages.py), so a
    # web request pays for one INSERT, not for two templates. None only for
    # messages queued before that, which carry their rendered text instead.
    context: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime, nullable=True)
    # The Message-ID the email carries, chosen when a worker first claims the
    # row and reused on every attempt, so a repeat after a crash is
    # recognisable as the same message.
    message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # A worker's lease: until then the row is that worker's to send, and no
    # transaction is held open while it talks to the mail server
    # (petitions/mail/outbox.py, "claims").
    claimed_until = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self):
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M}" if self.sent_at else f"attempts={self.attempts}"
        return f"<OutboxMessage {self.id} {self.kind} {state}>"

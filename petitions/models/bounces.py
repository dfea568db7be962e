"""What a bounce or a complaint needs to be understood, and the addresses that get no more unasked-for mail.

Every message leaves with an envelope sender of its own (``bounces+<token>@…``,
petitions/mail/return_paths.py). A ``ReturnPath`` row is what the token
stands for: the petition and kind of message, when it was sent, and the
recipient's keyed address hash, sealed under a key derived from the token
itself. The database alone therefore cannot tell which messages went to the
same person; a bounce, which carries the token, can. The rows are deleted
BOUNCE_WINDOW_DAYS after sending (petitions/retention.py).

A ``Suppression`` is an address's keyed hash (address_hashes.email_hash),
never the address: it hard-bounced or its owner reported our mail as spam.
"""
from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


class SuppressionReason:
    """Why an address gets no more mail it did not ask for."""

    BOUNCED = "bounced"          # a hard bounce: 5.x.x, action failed
    COMPLAINED = "complained"    # an ARF report of feedback type "abuse"

    ALL = (BOUNCED, COMPLAINED)


class ReturnPath(db.Model):
    __tablename__ = "return_paths"

    # BLAKE2b of the token: the token itself is only in the message's envelope (and in what comes back).
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The recipient's site-wide address hash, sealed (SecretBox) under a key derived from the token.
    sealed_address: Mapped[bytes] = mapped_column(LargeBinary(96))
    petition_id: Mapped[int | None] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    sent_at = mapped_column(UTCDateTime, nullable=False, index=True)
    # Set by the first hard bounce or complaint read for this message: a second copy counts nothing.
    bounced_at = mapped_column(UTCDateTime, nullable=True)
    complained_at = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self):
        return f"<ReturnPath {self.token_digest[:8]} {self.kind} petition={self.petition_id} sent {self.sent_at:%Y-%m-%d}>"


class Suppression(db.Model):
    __tablename__ = "mail_suppressions"
    __table_args__ = (CheckConstraint(in_values("reason", SuppressionReason.ALL), name="reason"),)

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))
    # The latest bounce or complaint: the entry lapses SUPPRESSION_DAYS after it.
    suppressed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    # Messages not sent to the address since, at queueing or at sending.
    dropped: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self):
        return f"<Suppression {self.address_hash[:8]} {self.reason} dropped={self.dropped}>"

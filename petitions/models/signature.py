"""Signatures: one person's support for one petition."""
from datetime import timezone

from sqlalchemy import (
    Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


class PublicName:
    """How a signer who agreed to be listed publicly wants their name shown."""

    FULL = "full"
    INITIALS = "initials"

    ALL = (FULL, INITIALS)


class SignatureStatus:
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"
    # Set aside by an owner as part of a flood of fake signatures (organiser/integrity.py): it does not
    # count, is not exported and is not written to; undoing the invalidation restores the status it had.
    INVALIDATED = "invalidated"

    ALL = (PENDING, CONFIRMED, WITHDRAWN, INVALIDATED)
    # What an invalidation takes (and so what undoing one gives back).
    INVALIDATABLE = (PENDING, CONFIRMED)


# Which rows ix_signatures_reminder_due holds (migration 0014 words it the same).
REMINDER_DUE = "status = 'pending' AND reminder_sent_at IS NULL AND sealed IS NULL"


def _created_day(context):
    """The UTC day of the row's created_at (naive values are UTC, as UTCDateTime stores them)."""
    created_at = context.get_current_parameters().get("created_at") or utcnow()
    return (created_at.astimezone(timezone.utc) if created_at.tzinfo else created_at).date()


class Signature(db.Model):
    __tablename__ = "signatures"
    __table_args__ = (
        # One address counts once per petition. The hash is an HMAC of the
        # normalised address, so the check keeps working once the address
        # itself is stored encrypted.
        UniqueConstraint("petition_id", "email_hash"),
        Index("ix_signatures_petition_status", "petition_id", "status"),
        Index("ix_signatures_petition_confirmed_at", "petition_id", "confirmed_at"),
        Index("ix_signatures_email_hash", "email_hash"),
        # One day's arrivals of a petition in the order the integrity page groups them, so the busiest
        # fingerprints and domains of a day are counted from one index range, without sorting or rows.
        Index("ix_signatures_petition_day_client", "petition_id", "created_day", "client_hash"),
        Index("ix_signatures_petition_day_domain", "petition_id", "created_day", "email_domain_hash"),
        Index("ix_signatures_petition_domain", "petition_id", "email_domain_hash"),
        # Only invalidated signatures are in it: what undoing one looks up, and nothing for signing to write.
        Index("ix_signatures_invalidation_id", "invalidation_id",
              sqlite_where=text("invalidation_id IS NOT NULL"), postgresql_where=text("invalidation_id IS NOT NULL")),
        # The public list of recent signers walks only those who chose to be listed, however few
        # they are among a million; public_names.recent_public_signers words its query to match. It holds
        # all the list shows, so SQLite prefers it to the full (petition_id, confirmed_at) index.
        Index("ix_signatures_public_recent", "petition_id", "confirmed_at", "shown_name", "country",
              sqlite_where=text("show_name = 1 AND status = 'confirmed'"),
              postgresql_where=text("show_name AND status = 'confirmed'")),
        # The signatures still due a reminder, by their last confirmation email (petitions/mail/reminders.py):
        # only pending, readable ones not yet reminded, so the job reads the due ones and nothing else.
        Index("ix_signatures_reminder_due", "confirmation_sent_at",
              sqlite_where=text(REMINDER_DUE), postgresql_where=text(REMINDER_DUE)),
        CheckConstraint(in_values("status", SignatureStatus.ALL), name="status"),
        CheckConstraint("invalidated_from IS NULL OR " + in_values("invalidated_from", SignatureStatus.INVALIDATABLE),
                        name="invalidated_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    # HMAC of the address under a key of this petition's own (address_hashes.petition_email_hash), so rows
    # of two petitions cannot be linked to one person. NULL once withdrawn or anonymised.
    email_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Blank when the organisation's protection is on: then email, full name and city are in ``sealed``.
    email: Mapped[str] = mapped_column(String(320))
    full_name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The name as its signer chose to show it publicly (full or initials), or NULL: never sealed.
    shown_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Email, full name and city sealed to the organisation's key (petitions/sealing), and the
    # ephemeral key that sealed them.
    sealing_key_id: Mapped[int | None] = mapped_column(ForeignKey("sealing_keys.id"), nullable=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    language: Mapped[str] = mapped_column(String(16))
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    public_name: Mapped[str] = mapped_column(String(10), default=PublicName.FULL, server_default=PublicName.FULL)
    wants_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=SignatureStatus.PENDING)
    confirmation_sends: Mapped[int] = mapped_column(Integer, default=0)
    # When the newest confirmation link went out; retention counts from here.
    confirmation_sent_at = mapped_column(UTCDateTime, nullable=True)
    # When its one reminder went out (a confirmation email like the others, counted in confirmation_sends).
    reminder_sent_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at = mapped_column(UTCDateTime, nullable=True)
    already_signed_notice_at = mapped_column(UTCDateTime, nullable=True)
    anonymised_at = mapped_column(UTCDateTime, nullable=True)
    # The UTC day of created_at, filled in from it (see _created_day): what a day's signatures are found by.
    created_day = mapped_column(Date, nullable=True, default=_created_day)
    # The day's keyed hash of the client's network (daily_keys.client_hash of ratelimits.client_network), as
    # the rate limits see it; blanked FINGERPRINT_RETENTION_DAYS after signing (retention.purge).
    client_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A keyed hash of the address's domain under this petition's key (address_hashes.petition_domain_hash).
    email_domain_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The invalidation that set this signature aside, and the status it had before (to undo it exactly).
    invalidation_id: Mapped[int | None] = mapped_column(ForeignKey("invalidations.id", ondelete="SET NULL"),
                                                        nullable=True)
    invalidated_from: Mapped[str | None] = mapped_column(String(16), nullable=True)

    petition = relationship("Petition")

    def __repr__(self):
        return f"<Signature {self.id} petition={self.petition_id} {self.status}>"

"""Signatures: one person's support for one petition."""
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text
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

    ALL = (PENDING, CONFIRMED, WITHDRAWN)


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
        # The public list of recent signers walks only those who chose to be listed, however few
        # they are among a million; public_names.recent_public_signers words its query to match. It holds
        # all the list shows, so SQLite prefers it to the full (petition_id, confirmed_at) index.
        Index("ix_signatures_public_recent", "petition_id", "confirmed_at", "shown_name", "country",
              sqlite_where=text("show_name = 1 AND status = 'confirmed'"),
              postgresql_where=text("show_name AND status = 'confirmed'")),
        CheckConstraint(in_values("status", SignatureStatus.ALL), name="status"),
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
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at = mapped_column(UTCDateTime, nullable=True)
    already_signed_notice_at = mapped_column(UTCDateTime, nullable=True)
    anonymised_at = mapped_column(UTCDateTime, nullable=True)

    petition = relationship("Petition")

    def __repr__(self):
        return f"<Signature {self.id} petition={self.petition_id} {self.status}>"

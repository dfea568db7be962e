"""Invalidations: an owner setting aside a flood of fake signatures, and the record that lets it be undone."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


class InvalidationKind:
    """What an invalidation matched signatures by."""

    FINGERPRINT = "fingerprint"  # one client fingerprint (the day's keyed hash of its network) in a time window
    DOMAIN = "domain"            # one email domain (its keyed hash), optionally in a time window

    ALL = (FINGERPRINT, DOMAIN)


class Invalidation(db.Model):
    """One invalidation: its filter, what it matched, who made it and who undid it.

    The signatures it set aside point back here (``Signature.invalidation_id``)
    and keep the status they had (``Signature.invalidated_from``), so undoing
    it restores each one and the count exactly. It holds no signer's data: a
    fingerprint and a domain are kept as keyed hashes, and a domain is named
    (``domain_label``) only when it is one of the large mail providers.
    """

    __tablename__ = "invalidations"
    __table_args__ = (
        Index("ix_invalidations_petition_created", "petition_id", "created_at"),
        CheckConstraint(in_values("kind", InvalidationKind.ALL), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    client_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_domain_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    domain_label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    window_start = mapped_column(UTCDateTime, nullable=True)
    window_end = mapped_column(UTCDateTime, nullable=True)
    # What it took, by the status each signature had.
    matched_pending: Mapped[int] = mapped_column(Integer, default=0)
    matched_confirmed: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    # Who, in words that survive the account's deletion (as the audit log names them).
    created_by: Mapped[str] = mapped_column(String(400))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    undone_at = mapped_column(UTCDateTime, nullable=True)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    undone_by: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # What undoing it gave back (fewer than it took if signers withdrew or were erased meanwhile).
    restored_pending: Mapped[int | None] = mapped_column(Integer, nullable=True)
    restored_confirmed: Mapped[int | None] = mapped_column(Integer, nullable=True)

    @property
    def matched(self):
        return self.matched_pending + self.matched_confirmed

    def __repr__(self):
        state = " undone" if self.undone_at else ""
        return f"<Invalidation {self.id} petition={self.petition_id} {self.kind} {self.matched}{state}>"

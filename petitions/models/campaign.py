"""What organisers add to a running petition: updates to signers and signatures collected on paper."""
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class PetitionUpdate(db.Model):
    """News from the organisers, shown on the petition page and mailed to signers who opted in."""

    __tablename__ = "petition_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Mail goes out in batches by signature id, so a petition with a million
    # signers never needs one huge transaction; these record how far it got.
    mailing_after_id: Mapped[int] = mapped_column(Integer, default=0)
    mailing_done_at = mapped_column(UTCDateTime, nullable=True)
    mailed_count: Mapped[int] = mapped_column(Integer, default=0)
    # NULL while the update is a draft: written in every language first, then sent when the organiser says so.
    sent_at = mapped_column(UTCDateTime, nullable=True)

    translations: Mapped[list["UpdateTranslation"]] = relationship(
        back_populates="update", cascade="all, delete-orphan", order_by="UpdateTranslation.language"
    )

    @property
    def is_draft(self):
        return self.sent_at is None

    def translation(self, language):
        for t in self.translations:
            if t.language == language:
                return t
        return None

    def __repr__(self):
        return f"<PetitionUpdate {self.id} petition={self.petition_id}>"


class UpdateTranslation(db.Model):
    __tablename__ = "update_translations"
    __table_args__ = (UniqueConstraint("update_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("petition_updates.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    update: Mapped[PetitionUpdate] = relationship(back_populates="translations")

    def __repr__(self):
        return f"<UpdateTranslation {self.update_id}:{self.language}>"


class PaperBatch(db.Model):
    """Signatures collected on paper: either a bare count, or the rows of an imported CSV."""

    __tablename__ = "paper_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(10))  # "count" or "csv"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self):
        return f"<PaperBatch {self.id} petition={self.petition_id} {self.count} ({self.source})>"


class PaperSignature(db.Model):
    """One row of an imported paper list: its country only. Names and cities are never kept."""

    __tablename__ = "paper_signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(String(2), default="")

    def __repr__(self):
        return f"<PaperSignature {self.id} batch={self.batch_id}>"

"""What happened after the signing: the petition delivered, the addressee's responses, the outcome.

Public by design: the date, who received the petition or answered it (public
office holders), the organisers' notes, a delivery photo and a response's
PDF. Photos and PDFs are kept in the database and served by this site, so
the page loads nothing from elsewhere and a backup holds everything.
"""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


class TimelineKind:
    """What an entry records."""

    DELIVERY = "delivery"  # the petition was handed over: when, to whom, a note, a photo
    RESPONSE = "response"  # the addressee answered: when, who, what they said, a PDF
    OUTCOME = "outcome"    # how the campaign ended (so far): one of ``Outcome``

    ALL = (DELIVERY, RESPONSE, OUTCOME)


class Outcome:
    """How a campaign ended, as its organisers judge it. The newest outcome entry is the one shown."""

    WON = "won"
    PARTLY_WON = "partly_won"
    NO_ANSWER = "no_answer"  # with the days since the (first) delivery, in ``TimelineEntry.days``
    CLOSED = "closed"

    ALL = (WON, PARTLY_WON, NO_ANSWER, CLOSED)


class TimelineFileKind:
    PHOTO = "photo"  # re-encoded as JPEG, its metadata (EXIF, GPS) gone
    PDF = "pdf"

    ALL = (PHOTO, PDF)


class TimelineEntry(db.Model):
    __tablename__ = "timeline_entries"
    __table_args__ = (
        CheckConstraint(in_values("kind", TimelineKind.ALL), name="kind"),
        CheckConstraint(in_values("outcome", Outcome.ALL), name="outcome"),
        # An outcome entry names its outcome; no other entry has one.
        CheckConstraint("(kind = 'outcome') = (outcome IS NOT NULL)", name="outcome_only_on_outcomes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The day it happened (delivered, answered, decided), as the organiser gives it.
    happened_on = mapped_column(Date, nullable=False)
    # "No answer after N days": N, counted from the first delivery when the outcome was marked.
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The update drafted from this entry ("Mail this to signers"), while it exists.
    update_id: Mapped[int | None] = mapped_column(ForeignKey("petition_updates.id", ondelete="SET NULL"),
                                                  nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    texts: Mapped[list["TimelineText"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="TimelineText.language"
    )
    files: Mapped[list["TimelineFile"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="TimelineFile.kind"
    )
    # The backref makes deleting a draft update (a plain ORM delete) unlink its entries on SQLite too,
    # where foreign keys are not enforced: the id could otherwise come back on another update.
    update = relationship("PetitionUpdate", backref=backref("timeline_entries"))

    def text(self, language):
        for t in self.texts:
            if t.language == language:
                return t
        return None

    def file(self, kind):
        for f in self.files:
            if f.kind == kind:
                return f
        return None

    def __repr__(self):
        return f"<TimelineEntry {self.id} petition={self.petition_id} {self.kind} {self.outcome or ''} {self.happened_on}>"


class TimelineText(db.Model):
    """An entry in one language: who (received it, answered), what they said or the organisers' note, the photo's alt text."""

    __tablename__ = "timeline_texts"
    __table_args__ = (UniqueConstraint("entry_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("timeline_entries.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    who: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    photo_alt: Mapped[str] = mapped_column(String(300), default="")

    entry: Mapped[TimelineEntry] = relationship(back_populates="texts")

    def __repr__(self):
        return f"<TimelineText {self.entry_id}:{self.language}>"


class TimelineFile(db.Model):
    """A delivery photo or a response's PDF, served by this site. ``data`` is loaded only when it is served."""

    __tablename__ = "timeline_files"
    __table_args__ = (
        UniqueConstraint("entry_id", "kind"),
        CheckConstraint(in_values("kind", TimelineFileKind.ALL), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("timeline_entries.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # A photo's pixels, so the page keeps its place for it while it loads.
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # SHA-256 of ``data``: the ETag, known without reading the file.
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    entry: Mapped[TimelineEntry] = relationship(back_populates="files")

    def __repr__(self):
        return f"<TimelineFile {self.id} entry={self.entry_id} {self.kind} {self.size} bytes>"

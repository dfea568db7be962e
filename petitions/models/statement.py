"""An organisation's statements: a dated text in one or more languages, with no signatures."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


class StatementStatus:
    """A statement is written as a draft and shown on the organisation's page once published."""

    DRAFT = "draft"
    PUBLISHED = "published"

    ALL = (DRAFT, PUBLISHED)
    PUBLIC = frozenset({PUBLISHED})


class Statement(db.Model):
    __tablename__ = "statements"
    __table_args__ = (
        CheckConstraint(in_values("status", StatementStatus.ALL), name="status"),
        # The public page reads the newest published statements of one organisation through this.
        Index("ix_statements_organisation_status_date", "organisation_id", "status", "statement_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=StatementStatus.DRAFT)
    # The language shown where a reader's language has no translation.
    primary_language: Mapped[str] = mapped_column(String(16))
    # The date the statement carries, chosen by its authors (it may be older than the record).
    statement_date = mapped_column(Date, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    published_at = mapped_column(UTCDateTime, nullable=True)

    translations: Mapped[list["StatementTranslation"]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="StatementTranslation.language"
    )

    @property
    def is_published(self):
        return self.status in StatementStatus.PUBLIC

    @property
    def languages(self):
        """Its languages, the primary one first."""
        codes = [t.language for t in self.translations]
        return sorted(codes, key=lambda code: (code != self.primary_language, code))

    def translation(self, language):
        return next((t for t in self.translations if t.language == language), None)

    def __repr__(self):
        return f"<Statement {self.id} org={self.organisation_id} {self.status} {self.statement_date}>"


class StatementTranslation(db.Model):
    __tablename__ = "statement_translations"
    __table_args__ = (UniqueConstraint("statement_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    statement: Mapped[Statement] = relationship(back_populates="translations")

    def __repr__(self):
        return f"<StatementTranslation {self.statement_id}:{self.language}>"

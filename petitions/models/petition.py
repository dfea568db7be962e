"""Petitions, their texts in each language and their goals (their counts are tallies: models/tally.py)."""
import re

from sqlalchemy import CheckConstraint, JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


# What a slug may look like; anything else is never looked up (PostgreSQL
# refuses some characters, such as NUL, outright).
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")


class PetitionStatus:
    """Where a petition is in its life. Plain strings, stored as such."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    DELIVERED = "delivered"

    ALL = (DRAFT, OPEN, CLOSED, DELIVERED)
    PUBLIC = frozenset({OPEN, CLOSED, DELIVERED})
    ENDED = frozenset({CLOSED, DELIVERED})
    SIGNABLE = frozenset({OPEN})

    # Where a petition may go from each status. It never returns to draft once
    # published, and a delivered petition stays delivered.
    TRANSITIONS = {
        DRAFT: (OPEN,),
        OPEN: (CLOSED,),
        CLOSED: (OPEN, DELIVERED),
        DELIVERED: (),
    }


class PetitionKind:
    """What people sign: a petition (name and email) or an open letter (moderated sign-ons)."""

    PETITION = "petition"
    LETTER = "letter"

    ALL = (PETITION, LETTER)


class StatusChangeRefused(ValueError):
    """A petition may not move from its status to the one asked for (``PetitionStatus.TRANSITIONS``)."""

    def __init__(self, current, wanted):
        super().__init__(f"a petition cannot change from {current!r} to {wanted!r}")
        self.current = current
        self.wanted = wanted


def set_status(petition, status, now=None):
    """The one way a petition's status changes: along ``PetitionStatus.TRANSITIONS``, remembering when it stopped taking signatures.

    A petition not yet written (status unset) may start in any status; setting
    the status it already has changes nothing but ``closed_at`` if it lacks one.
    """
    current = petition.status
    if status not in PetitionStatus.ALL:
        raise StatusChangeRefused(current, status)
    if current is not None and status != current and status not in PetitionStatus.TRANSITIONS.get(current, ()):
        raise StatusChangeRefused(current, status)
    if status in PetitionStatus.ENDED and petition.closed_at is None:
        petition.closed_at = now or utcnow()
    elif status not in PetitionStatus.ENDED:
        petition.closed_at = None
    petition.status = status


class Petition(db.Model):
    __tablename__ = "petitions"
    __table_args__ = (
        CheckConstraint(in_values("status", PetitionStatus.ALL), name="status"),
        CheckConstraint(in_values("kind", PetitionKind.ALL), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=PetitionKind.PETITION)
    # How a letter lists its signatories: "alphabetical" (as a reader of the page's language sorts) or "custom".
    signatory_order: Mapped[str] = mapped_column(String(16), default="alphabetical", server_default="alphabetical")
    status: Mapped[str] = mapped_column(String(20), default=PetitionStatus.DRAFT)
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    # The organisation whose members may see and change it. Set for every
    # petition made since accounts exist; older rows were given one by 0003.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    primary_language: Mapped[str] = mapped_column(String(16))
    # The organiser's goal, and the goal currently shown. next_goal moves up
    # the ladder (see counting.next_goal_for) as goals are reached.
    goal: Mapped[int] = mapped_column(Integer)
    next_goal: Mapped[int] = mapped_column(Integer)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    # When the petition stopped taking signatures; retention counts from here.
    closed_at = mapped_column(UTCDateTime, nullable=True)
    signers_anonymised_at = mapped_column(UTCDateTime, nullable=True)
    # First left draft; from then on every change of text is kept as a version.
    published_at = mapped_column(UTCDateTime, nullable=True)
    # Signatures collected on paper, summed from paper_batches; shown apart and added to the total.
    paper_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Unconfirmed signatures that retention deleted, so "signed vs confirmed" stays honest after purge.
    expired_unconfirmed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    translations: Mapped[list["PetitionTranslation"]] = relationship(
        back_populates="petition", cascade="all, delete-orphan", order_by="PetitionTranslation.language"
    )
    milestones: Mapped[list["GoalMilestone"]] = relationship(
        back_populates="petition", cascade="all, delete-orphan", order_by="GoalMilestone.goal"
    )
    organisation = relationship("Organisation")

    @property
    def languages(self):
        """Languages this petition is written in, primary first."""
        others = sorted(t.language for t in self.translations if t.language != self.primary_language)
        return [self.primary_language, *others] if self.translation(self.primary_language) else others

    def translation(self, language):
        """The text in ``language``, or None."""
        for t in self.translations:
            if t.language == language:
                return t
        return None

    @property
    def is_public(self):
        return self.status in PetitionStatus.PUBLIC

    @property
    def is_signable(self):
        return self.status in PetitionStatus.SIGNABLE

    @property
    def is_letter(self):
        return self.kind == PetitionKind.LETTER

    def __repr__(self):
        return f"<Petition {self.slug!r} {self.status} goal={self.goal}>"


class PetitionTranslation(db.Model):
    __tablename__ = "petition_translations"
    __table_args__ = (UniqueConstraint("petition_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    addressee: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    demands: Mapped[list] = mapped_column(JSON, default=list)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    petition: Mapped[Petition] = relationship(back_populates="translations")

    def __repr__(self):
        return f"<PetitionTranslation {self.petition_id}:{self.language} {self.title[:30]!r}>"


def title_in(petition_id, language):
    """(language, title) a reader of ``language`` sees: theirs, else the primary language's, else any.

    One query for titles alone: pages and emails that show only the title
    need not load every text's body.
    """
    rows = db.session.execute(
        db.select(PetitionTranslation.language, PetitionTranslation.title, Petition.primary_language)
        .join(Petition, Petition.id == PetitionTranslation.petition_id)
        .where(PetitionTranslation.petition_id == petition_id).order_by(PetitionTranslation.language)
    ).all()
    titles = {lang: title for lang, title, _ in rows}
    for lang in (language, rows[0].primary_language if rows else None):
        if lang in titles:
            return lang, titles[lang]
    return next(iter(titles.items()), (language, ""))


class GoalMilestone(db.Model):
    """The moment a petition reached one of its goals."""

    __tablename__ = "goal_milestones"
    __table_args__ = (UniqueConstraint("petition_id", "goal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    goal: Mapped[int] = mapped_column(Integer)
    reached_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    petition: Mapped[Petition] = relationship(back_populates="milestones")

    def __repr__(self):
        return f"<GoalMilestone {self.petition_id} {self.goal} at {self.reached_at:%Y-%m-%d %H:%M}>"


class PetitionVersion(db.Model):
    """The text of one language as it stood from ``created_at`` on, kept once the petition is public.

    Signers can read what the petition said when they signed it.
    """

    __tablename__ = "petition_versions"
    __table_args__ = (UniqueConstraint("petition_id", "language", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    addressee: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    demands: Mapped[list] = mapped_column(JSON, default=list)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)

    def __repr__(self):
        return f"<PetitionVersion {self.petition_id}:{self.language} #{self.number}>"

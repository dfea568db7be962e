"""Co-signers of an open letter: organisations and individuals, moderated before they appear."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


class SignatoryKind:
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"

    ALL = (ORGANISATION, INDIVIDUAL)


class SignatoryStatus:
    """A sign-on waits for its email confirmation, then for the organiser's decision."""

    UNCONFIRMED = "unconfirmed"
    AWAITING = "awaiting"            # confirmed by email, waiting for moderation
    CHANGES = "changes"              # the organiser asked for changes
    APPROVED = "approved"            # listed publicly
    REJECTED = "rejected"            # never listed

    ALL = (UNCONFIRMED, AWAITING, CHANGES, APPROVED, REJECTED)
    MODERATABLE = frozenset({AWAITING, CHANGES})


class LetterSignatory(db.Model):
    __tablename__ = "letter_signatories"
    __table_args__ = (
        Index("ix_letter_signatories_petition_status", "petition_id", "status"),
        Index("ix_letter_signatories_petition_name_key", "petition_id", "kind", "name_key"),
        CheckConstraint(in_values("status", SignatoryStatus.ALL), name="status"),
        CheckConstraint(in_values("kind", SignatoryKind.ALL), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # Shown exactly as entered; name_key is the form used to spot the same name twice.
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))
    # ISO codes, comma-separated, in the order given ("DE,CH"); empty for an international organisation.
    countries: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The first of them (or NULL), kept for /api/v1 and for code that knows one country per signatory.
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # A region that is not a country ("Asia-Pacific"), shown as typed beside the countries.
    region: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # An individual's title or affiliation ("former UN Special Rapporteur").
    title: Mapped[str] = mapped_column(String(300), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    # The person who signed on, for an organisation: their name, role and address.
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_role: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    email_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Contact name, role and email sealed to the organisation's key when its protection is on
    # (then the three columns above are blank), and the ephemeral key that sealed them.
    sealing_key_id: Mapped[int | None] = mapped_column(ForeignKey("sealing_keys.id"), nullable=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # What the address told the moderator ("free_mail", "domain_mismatch"), worked out when it was
    # sealed, so moderating needs no unlock. NULL while the address itself is readable.
    mail_flag: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Confirmation emails sent for this sign-on (capped); retention counts from the last one.
    confirmation_sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmation_sent_at = mapped_column(UTCDateTime, nullable=True)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(10), default="form")  # "form" or "import"
    # The organiser's order, when they set one; otherwise lists are alphabetical.
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    moderation_note: Mapped[str] = mapped_column(String(1000), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at = mapped_column(UTCDateTime, nullable=True)
    moderated_at = mapped_column(UTCDateTime, nullable=True)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)

    @property
    def country_codes(self):
        """The signatory's countries as a list of ISO codes, in order."""
        return [code for code in (self.countries or "").split(",") if code]

    def __repr__(self):
        return f"<LetterSignatory {self.id} petition={self.petition_id} {self.kind} {self.status}>"

"""Organisations, the people who work in them, invitations and the audit log."""
from datetime import timedelta

from sqlalchemy import CheckConstraint, JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..slugs import first_free, slug_from
from .types import UTCDateTime, in_values, utcnow


class Role:
    """What a member may do in an organisation. Each role can do everything the ones before it can."""

    VIEWER = "viewer"   # counts and charts, no personal data
    EDITOR = "editor"   # writes petitions, posts updates, records paper signatures, exports
    OWNER = "owner"     # invites and removes members, reads the audit log

    ALL = (OWNER, EDITOR, VIEWER)
    RANK = {VIEWER: 1, EDITOR: 2, OWNER: 3}

    @classmethod
    def at_least(cls, role, wanted):
        return cls.RANK.get(role, 0) >= cls.RANK[wanted]


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The public page's address, /<lang>/o/<slug>: given once, from the name, and never changed, so
    # links in emails and shared posts keep working (made in _give_slug below).
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    # The description shown where a reader's language has none.
    primary_language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="Membership.id"
    )
    descriptions: Mapped[list["OrganisationDescription"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="OrganisationDescription.language"
    )

    def description(self, language):
        """The description in ``language``, or None."""
        return next((d for d in self.descriptions if d.language == language), None)

    def __repr__(self):
        return f"<Organisation {self.id} {self.name!r}>"


@event.listens_for(Organisation, "before_insert")
def _give_slug(_mapper, connection, organisation):
    """Every new organisation gets its page's address from its name, whoever creates it."""
    if organisation.slug:
        return
    base = slug_from(organisation.name) or "organisation"
    taken = set(connection.scalars(select(Organisation.slug).where(
        (Organisation.slug == base) | Organisation.slug.like(f"{base}-%"))))
    organisation.slug = first_free(base, taken)


class OrganisationDescription(db.Model):
    """A few sentences about the organisation in one language, shown on its public page."""

    __tablename__ = "organisation_descriptions"
    __table_args__ = (UniqueConstraint("organisation_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    organisation: Mapped[Organisation] = relationship(back_populates="descriptions")

    def __repr__(self):
        return f"<OrganisationDescription {self.organisation_id}:{self.language}>"


class Account(db.Model):
    """A person who signs in to organise. Not a signer: signers have no accounts."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Looked up by a keyed hash of the normalised address, like signatures.
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(16), default="en")
    # Base32 TOTP secret; None until the member has set up a second factor.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled_at = mapped_column(UTCDateTime, nullable=True)
    # The last time step a code was accepted for, so a code works only once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Codes tried since the last completed sign-in, counted within a rolling window that
    # ends SECOND_STEP_WINDOW_SECONDS after the last one (``second_step_failed_at``); at the
    # maximum no code is checked until the window has passed. A right password resets nothing.
    second_step_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    second_step_failed_at = mapped_column(UTCDateTime, nullable=True)
    # Bumped on password change or "sign out everywhere": older sessions stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_sign_in_at = mapped_column(UTCDateTime, nullable=True)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="account", cascade="all, delete-orphan")

    @property
    def has_totp(self):
        return self.totp_enabled_at is not None

    def second_step_locked(self, limit, window_seconds, now=None):
        """Whether ``limit`` codes were tried within the window that is still running: none may be checked now."""
        if self.second_step_failures < limit or self.second_step_failed_at is None:
            return False
        return self.second_step_failed_at >= (now or utcnow()) - timedelta(seconds=window_seconds)

    def __repr__(self):
        return f"<Account {self.id}>"


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    used_at = mapped_column(UTCDateTime, nullable=True)

    def __repr__(self):
        return f"<RecoveryCode {self.id} account={self.account_id}{' used' if self.used_at else ''}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organisation_id", "account_id"),
        CheckConstraint(in_values("role", Role.ALL), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    account: Mapped[Account] = relationship(back_populates="memberships")

    def __repr__(self):
        return f"<Membership org={self.organisation_id} account={self.account_id} {self.role}>"


class Invitation(db.Model):
    """An emailed invitation to join an organisation; its link carries a signed token."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(in_values("role", Role.ALL), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    accepted_at = mapped_column(UTCDateTime, nullable=True)
    revoked_at = mapped_column(UTCDateTime, nullable=True)

    organisation: Mapped[Organisation] = relationship()

    @property
    def is_open(self):
        return self.accepted_at is None and self.revoked_at is None

    def __repr__(self):
        return f"<Invitation {self.id} org={self.organisation_id} {self.role}>"


class AuditEvent(db.Model):
    """Who did what with personal data or membership, for the organisation's owners to read."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_organisation_created", "organisation_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id", ondelete="SET NULL"), nullable=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    # Who, in words that survive the account's deletion: a name and address, or "command line (user)".
    actor: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.action} org={self.organisation_id}>"

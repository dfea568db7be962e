"""People who asked an organisation to keep them informed, and the mailings its organisers send them."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, in_values, utcnow


class SubscriberStatus:
    """Where a subscription is: asked for, confirmed by its address's owner, or stopped."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    # The address is gone from the row at once; the rest is deleted SUBSCRIBER_RETENTION_DAYS later.
    UNSUBSCRIBED = "unsubscribed"

    ALL = (PENDING, CONFIRMED, UNSUBSCRIBED)
    # The rows that hold an address, readable or sealed.
    WITH_ADDRESS = (PENDING, CONFIRMED)


class Subscriber(db.Model):
    """One address that asked to receive an organisation's news (double opt-in). Not a signature."""

    __tablename__ = "subscribers"
    __table_args__ = (
        # One address subscribes once per organisation; the hash is keyed per organisation, so two
        # organisations' lists cannot be linked to one person without HASH_KEY.
        UniqueConstraint("organisation_id", "email_hash"),
        # Counting an organisation's confirmed subscribers, and mailing them a batch at a time in id order.
        Index("ix_subscribers_organisation_status", "organisation_id", "status", "id"),
        CheckConstraint(in_values("status", SubscriberStatus.ALL), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    # petitions.subscribers.subscriber_hash: an HMAC of the address under a key of this organisation's own.
    email_hash: Mapped[str] = mapped_column(String(64))
    # Blank when the organisation's protection is on (the address is in ``sealed``) and once unsubscribed.
    email: Mapped[str] = mapped_column(String(320), default="")
    sealing_key_id: Mapped[int | None] = mapped_column(ForeignKey("sealing_keys.id"), nullable=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The language of the page the form was on: every email to this address is written in it.
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=SubscriberStatus.PENDING)
    confirmation_sends: Mapped[int] = mapped_column(Integer, default=0)
    # When the newest confirmation link went out; an unconfirmed row is purged counting from here.
    confirmation_sent_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at = mapped_column(UTCDateTime, nullable=True)
    unsubscribed_at = mapped_column(UTCDateTime, nullable=True)

    organisation = relationship("Organisation")

    def __repr__(self):
        return f"<Subscriber {self.id} org={self.organisation_id} {self.status}>"


class SubscriberMailing(db.Model):
    """News an organisation's organisers email to its confirmed subscribers: a draft until it is sent."""

    __tablename__ = "subscriber_mailings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # NULL while a draft. Once sent, it goes to those confirmed until then, a batch at a time by subscriber id.
    sent_at = mapped_column(UTCDateTime, nullable=True)
    mailing_after_id: Mapped[int] = mapped_column(Integer, default=0)
    mailing_done_at = mapped_column(UTCDateTime, nullable=True)
    mailed_count: Mapped[int] = mapped_column(Integer, default=0)

    texts: Mapped[list["SubscriberMailingText"]] = relationship(
        back_populates="mailing", cascade="all, delete-orphan", order_by="SubscriberMailingText.language"
    )

    @property
    def is_draft(self):
        return self.sent_at is None

    def text(self, language):
        return next((t for t in self.texts if t.language == language), None)

    def __repr__(self):
        return f"<SubscriberMailing {self.id} org={self.organisation_id}{' draft' if self.is_draft else ''}>"


class SubscriberMailingText(db.Model):
    """A mailing's subject and body in one language."""

    __tablename__ = "subscriber_mailing_texts"
    __table_args__ = (UniqueConstraint("mailing_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("subscriber_mailings.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    mailing: Mapped[SubscriberMailing] = relationship(back_populates="texts")

    def __repr__(self):
        return f"<SubscriberMailingText {self.mailing_id}:{self.language}>"

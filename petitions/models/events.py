"""Counts of things that happened to a petition, kept by the services that make them happen.

Signature tallies (tally.py) describe the rows as they are now, and triggers
keep them. These count events instead: a reminder sent, a signature that
arrived in a given hour, a bounce. They only ever grow, survive the rows that
caused them being purged, and are written in the same transaction as the
event by ``count_event``. Like the tallies they are split into shards on
PostgreSQL, so a crowd signing at once rarely waits on one row, and a reader
sums the shards.
"""
import random

from sqlalchemy import CheckConstraint, ForeignKey, Integer, SmallInteger, String, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import in_values

SHARDS = 16


class EventKind:
    """What an event count counts; ``key`` says which bucket (an hour, a language) or is empty."""

    REMINDER_SENT = "reminder_sent"            # a pending signature was reminded once; key ""
    REMINDER_CONFIRMED = "reminder_confirmed"  # ... and then confirmed; key ""
    SIGNED_HOUR = "signed_hour"                # a signature arrived; key is its UTC hour, YYYY-MM-DDTHH
    MAIL_SENT = "mail_sent"                    # the mail server accepted a message about this petition; key ""
    MAIL_BOUNCED = "mail_bounced"              # a hard bounce came back for one of them; key ""
    MAIL_COMPLAINED = "mail_complained"        # a recipient reported one as spam; key ""

    ALL = (REMINDER_SENT, REMINDER_CONFIRMED, SIGNED_HOUR, MAIL_SENT, MAIL_BOUNCED, MAIL_COMPLAINED)


class EventCount(db.Model):
    __tablename__ = "petition_event_counts"
    __table_args__ = (CheckConstraint(in_values("kind", EventKind.ALL), name="kind"),)

    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(24), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self):
        return f"<EventCount petition={self.petition_id} {self.kind}:{self.key} shard={self.shard} {self.count}>"


_UPSERT = text(
    "INSERT INTO petition_event_counts (petition_id, kind, key, shard, count) "
    "VALUES (:petition_id, :kind, :key, :shard, :delta) "
    "ON CONFLICT (petition_id, kind, key, shard) DO UPDATE SET count = petition_event_counts.count + excluded.count"
)


def count_event(session, petition_id, kind, key="", delta=1):
    """Add ``delta`` to the petition's count of ``kind`` (in bucket ``key``), in the caller's transaction."""
    if kind not in EventKind.ALL:
        raise ValueError(f"unknown event kind {kind!r}")
    # SQLite has one writer at a time: shards would only make readers sum more rows.
    shard = random.randrange(SHARDS) if session.get_bind().dialect.name == "postgresql" else 0
    session.execute(_UPSERT, {"petition_id": petition_id, "kind": kind, "key": key, "shard": shard, "delta": delta})


def event_totals(session, petition_id, kind, since_key=None):
    """{key: count} of the petition's events of ``kind``; only keys >= ``since_key`` when given.

    Keys that sort by time (hours) make ``since_key`` a time window read through the primary key.
    """
    query = (select(EventCount.key, func.sum(EventCount.count))
             .where(EventCount.petition_id == petition_id, EventCount.kind == kind)
             .group_by(EventCount.key))
    if since_key is not None:
        query = query.where(EventCount.key >= since_key)
    return {key: int(total) for key, total in session.execute(query)}


def event_total(session, petition_id, kind):
    """The petition's count of ``kind`` over every key."""
    return sum(event_totals(session, petition_id, kind).values())

"""How a petition's mail fares: bounce and complaint rates for its dashboard, from its event counts (flat reads)."""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import EventCount, EventKind

# Where large mail providers start to distrust a sender. Google and Yahoo ask bulk senders to keep
# spam complaints under 0.3% (2024 sender guidelines); a few percent of bounces is usual for
# confirmation mail to typed addresses, many more means mail to addresses that do not exist.
HIGH_BOUNCE_RATE = 0.05
HIGH_COMPLAINT_RATE = 0.003

_KINDS = (EventKind.MAIL_SENT, EventKind.MAIL_BOUNCED, EventKind.MAIL_COMPLAINED)


@dataclass(frozen=True)
class MailHealth:
    sent: int
    bounced: int
    complained: int
    # Whether bounces are read at all (BOUNCE_ADDRESS): without them, no rate means anything.
    tracking: bool

    @property
    def bounce_rate(self):
        return self.bounced / self.sent

    @property
    def complaint_rate(self):
        return self.complained / self.sent

    @property
    def high(self):
        return self.bounce_rate >= HIGH_BOUNCE_RATE or self.complaint_rate >= HIGH_COMPLAINT_RATE


def mail_health(petition_id):
    """The petition's ``MailHealth``, or None before any of its mail was sent. One query over its event counts."""
    totals = dict(db.session.execute(
        select(EventCount.kind, func.sum(EventCount.count))
        .where(EventCount.petition_id == petition_id, EventCount.kind.in_(_KINDS))
        .group_by(EventCount.kind)
    ).all())
    sent = int(totals.get(EventKind.MAIL_SENT) or 0)
    if not sent:
        return None
    return MailHealth(sent, int(totals.get(EventKind.MAIL_BOUNCED) or 0),
                      int(totals.get(EventKind.MAIL_COMPLAINED) or 0),
                      tracking=bool(current_app.config.get("BOUNCE_ADDRESS")))

"""The figures on a petition's dashboard: counts only, never who signed."""
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from .. import counting
from ..extensions import db
from ..models import Signature, SignatureStatus

CHART_DAYS_MAX = 365


@dataclass
class Dashboard:
    online: int
    paper: int
    total: int
    next_goal: int
    today: int
    last_7_days: int
    per_day: list = field(default_factory=list)        # [(date, confirmed that day)], oldest first
    by_country: list = field(default_factory=list)     # [(code, count)], largest first
    by_language: list = field(default_factory=list)    # [(code, count)], largest first
    signed: int = 0             # every signature ever made, including those purged unconfirmed
    confirmed_ever: int = 0     # confirmed, including those withdrawn since
    waiting: int = 0            # pending, link still valid
    never_confirmed: int = 0    # purged unconfirmed
    goal_estimate: date | None = None

    @property
    def unconfirmed_share(self):
        """The share of signatures never confirmed (0..1), or None before any."""
        settled = self.signed - self.waiting
        return (self.never_confirmed / settled) if settled > 0 else None


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def daily_series(petition_id, today):
    """Signatures confirmed (and still counting) per UTC day, from the first one (at most a year back) to today, gaps filled with 0."""
    start = today - timedelta(days=CHART_DAYS_MAX - 1)
    since = datetime.combine(start, datetime.min.time(), tzinfo=timezone.utc)
    day = func.date(Signature.confirmed_at)
    rows = db.session.execute(
        select(day, func.count()).where(
            Signature.petition_id == petition_id, Signature.status == SignatureStatus.CONFIRMED,
            Signature.confirmed_at >= since,
        ).group_by(day)
    ).all()
    counts = {_as_date(d): n for d, n in rows if d is not None}
    if not counts:
        return []
    first = min(counts)
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
            for i in range((today - first).days + 1)]


def _grouped(petition_id, column):
    return db.session.execute(
        select(column, func.count()).where(Signature.petition_id == petition_id,
                                           Signature.status == SignatureStatus.CONFIRMED)
        .group_by(column).order_by(func.count().desc(), column)
    ).all()


def estimate_goal_date(total, next_goal, last_7_days, today):
    """When the next goal is reached if the last week's pace holds; None if nothing came in."""
    if last_7_days <= 0 or total >= next_goal:
        return None
    per_day = last_7_days / 7
    return today + timedelta(days=math.ceil((next_goal - total) / per_day))


def dashboard(petition, now):
    """Everything the dashboard shows for one petition, at ``now`` (UTC)."""
    today = now.date()
    total = counting.total_count(petition)
    online = total - petition.paper_count
    next_goal = counting.next_goal_for(total, petition.goal)
    series = daily_series(petition.id, today)
    by_day = dict(series)
    last_7 = sum(by_day.get(today - timedelta(days=i), 0) for i in range(7))
    by_status = dict(db.session.execute(
        select(Signature.status, func.count()).where(Signature.petition_id == petition.id).group_by(Signature.status)
    ).all())
    confirmed_ever = db.session.scalar(
        select(func.count()).where(Signature.petition_id == petition.id, Signature.confirmed_at.is_not(None))
    )
    waiting = by_status.get(SignatureStatus.PENDING, 0)
    return Dashboard(
        online=online, paper=petition.paper_count, total=total, next_goal=next_goal,
        today=by_day.get(today, 0), last_7_days=last_7, per_day=series,
        by_country=_grouped(petition.id, Signature.country), by_language=_grouped(petition.id, Signature.language),
        signed=sum(by_status.values()) + petition.expired_unconfirmed, confirmed_ever=confirmed_ever,
        waiting=waiting, never_confirmed=petition.expired_unconfirmed,
        goal_estimate=estimate_goal_date(total, next_goal, last_7, today),
    )

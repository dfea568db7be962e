"""The figures on a petition's dashboard: counts only, never who signed.

Read from the tallies the database keeps beside the signatures (models/tally.py), so the
dashboard costs the same at a hundred signatures and at a million.
"""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import bindparam, func, or_, select

from .. import counting
from ..extensions import db
from ..models import SignatureStatus, SignatureTally, tally

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


def figures(petition_id, since):
    """{dimension: {key: count}} from the tallies, non-zero only; days before ``since`` (a date) left out.

    One query over at most (days + countries + languages) x shards rows, however many signatures.
    """
    rows = db.session.execute(_FIGURES, {"of_petition": petition_id, "day": tally.DAY, "since": since.isoformat()})
    found = {}
    for dimension, key, count in rows:
        if count:
            found.setdefault(dimension, {})[key] = int(count)
    return found


_t = SignatureTally.__table__
_FIGURES = (
    select(_t.c.dimension, _t.c.key, func.sum(_t.c.count))
    .where(_t.c.petition_id == bindparam("of_petition"),
           or_(_t.c.dimension != bindparam("day"), _t.c.key >= bindparam("since")))
    .group_by(_t.c.dimension, _t.c.key)
)


def counts(petition_id, dimension):
    """{key: count} of one tally dimension of a petition (models/tally.py), non-zero only."""
    rows = db.session.execute(_ONE_DIMENSION, {"of_petition": petition_id, "dimension": dimension})
    return {key: int(count) for key, count in rows if count}


_ONE_DIMENSION = (
    select(_t.c.key, func.sum(_t.c.count))
    .where(_t.c.petition_id == bindparam("of_petition"), _t.c.dimension == bindparam("dimension"))
    .group_by(_t.c.key)
)


def _series(per_day, today):
    """[(date, count)] from the first day with a count to today, gaps filled with 0."""
    counts = {date.fromisoformat(day): n for day, n in per_day.items() if n}
    if not counts:
        return []
    first = min(counts)
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
            for i in range((today - first).days + 1)]


def _chart_start(today):
    return today - timedelta(days=CHART_DAYS_MAX - 1)


def daily_series(petition_id, today):
    """Signatures confirmed (and still counting) per UTC day, from the first one (at most a year back) to today, gaps filled with 0."""
    start = _chart_start(today)
    return _series(figures(petition_id, start).get(tally.DAY, {}), today)


def _largest_first(counts):
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


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
    found = figures(petition.id, _chart_start(today))
    series = _series(found.get(tally.DAY, {}), today)
    by_day = dict(series)
    last_7 = sum(by_day.get(today - timedelta(days=i), 0) for i in range(7))
    by_status = found.get(tally.STATUS, {})
    waiting = by_status.get(SignatureStatus.PENDING, 0)
    return Dashboard(
        online=online, paper=petition.paper_count, total=total, next_goal=next_goal,
        today=by_day.get(today, 0), last_7_days=last_7, per_day=series,
        by_country=_largest_first(found.get(tally.COUNTRY, {})),
        by_language=_largest_first(found.get(tally.LANGUAGE, {})),
        signed=sum(by_status.values()) + petition.expired_unconfirmed,
        confirmed_ever=found.get(tally.EVER, {}).get("", 0),
        waiting=waiting, never_confirmed=petition.expired_unconfirmed,
        goal_estimate=estimate_goal_date(total, next_goal, last_7, today),
    )

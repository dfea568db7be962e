"""Counting confirmed signatures, and the goals they climb towards.

The count is the ``status``/``confirmed`` tally (models/tally.py), which the
triggers on ``signatures`` move in the same transaction as every write, so it
is exact. It was once kept twice, also in counter rows each path added to by
hand: with one mechanism no path can forget to move it, and a confirmation
writes one statement fewer. Reading it sums at most 16 shards, flat at a
million signatures.
"""
from sqlalchemy import bindparam, func, select, update

from .extensions import db
from .models import GoalMilestone, Petition, SignatureStatus, tally, utcnow


def next_goal_for(count, goal):
    """The goal to show: the organiser's, then 1-2-5 steps, always above ``count``.

    >>> [next_goal_for(c, 1000) for c in (0, 999, 1000, 1999, 2000, 5000)]
    [1000, 1000, 2000, 2000, 5000, 10000]
    """
    if count < goal:
        return goal
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            candidate = step * magnitude
            if candidate > count and candidate > goal:
                return candidate
        magnitude *= 10


_tallies = tally.SignatureTally.__table__
# The confirmed tally's rows, whatever petition is asked about.
_CONFIRMED = (_tallies.c.dimension == tally.STATUS, _tallies.c.key == SignatureStatus.CONFIRMED)


def _confirmed_sum(petition_id):
    return select(func.coalesce(func.sum(_tallies.c.count), 0)).where(_tallies.c.petition_id == petition_id, *_CONFIRMED)


# Built once: building it cost more than sending it.
_SUM = _confirmed_sum(bindparam("of_petition"))


def confirmed_count_of(petition_id):
    """The confirmed count of the petition ``petition_id`` (a column or value) names, as a scalar subquery.

    For a statement that reads a petition's rows and its count at once.
    """
    return _confirmed_sum(petition_id).scalar_subquery()


def confirmed_count(petition_id):
    """The exact number of confirmed signatures, read from the tally (a sum over at most 16 rows).

    Read afresh each time: a request that changed signatures and then shows
    the count sees what it changed. (A confirmation goes by the count its press read.)
    """
    return int(db.session.scalar(_SUM, {"of_petition": petition_id}) or 0)


def total_count(petition):
    """What the public sees and goals are measured by: confirmed online signatures plus those on paper."""
    return confirmed_count(petition.id) + petition.paper_count


def confirmed_counts(petition_ids):
    """Confirmed counts for several petitions in one query: {petition_id: count}."""
    counts = dict.fromkeys(petition_ids, 0)
    if petition_ids:
        rows = db.session.execute(
            select(_tallies.c.petition_id, func.sum(_tallies.c.count))
            .where(_tallies.c.petition_id.in_(petition_ids), *_CONFIRMED)
            .group_by(_tallies.c.petition_id)
        ).all()
        counts.update({petition_id: int(total or 0) for petition_id, total in rows})
    return counts


def confirmed_by_petition():
    """Every petition's confirmed count as a subquery of (``pid``, ``n``), for a statement that lists petitions.

    A petition nobody has confirmed is missing from it: join it outer.
    """
    return (select(_tallies.c.petition_id.label("pid"), func.sum(_tallies.c.count).label("n"))
            .where(*_CONFIRMED).group_by(_tallies.c.petition_id).subquery())


def record_goals_reached(petition, count, now=None):
    """If ``count`` has reached the petition's next goal, store when and raise the goal.

    The goal only moves if nobody else moved it first (a conditional UPDATE),
    so concurrent confirmations record each milestone once. A confirmation
    that raced past a goal without seeing it leaves it for the next one; the
    goal shown is always computed from the live count, so readers never see
    a stale goal.
    """
    old = petition.next_goal
    if count < old:
        return []
    new = next_goal_for(count, petition.goal)
    moved = db.session.execute(
        update(Petition).where(Petition.id == petition.id, Petition.next_goal == old).values(next_goal=new)
    ).rowcount
    if not moved:
        return []
    now = now or utcnow()
    reached = []
    goal = old
    while goal < new:
        if goal <= count:
            db.session.add(GoalMilestone(petition_id=petition.id, goal=goal, reached_at=now))
            reached.append(goal)
        goal = next_goal_for(goal, petition.goal)
    db.session.flush()
    return reached

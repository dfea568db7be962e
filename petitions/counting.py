"""Counting confirmed signatures, and the goals they climb towards.

The count is kept in ``CounterShard`` rows: a confirmation adds one to a
random shard inside its own transaction. That keeps the count exact (it
commits or rolls back with the confirmation), spreads concurrent
confirmations over several rows instead of one hot row, and makes reading
the count a sum over a fixed number of rows, flat at a million signatures.
"""
import random

from flask import has_request_context, request
from sqlalchemy import bindparam, func, select, update

from .extensions import db
from .models import CounterShard, GoalMilestone, Petition, utcnow


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


# The two statements every confirmation runs, built once: building them cost
# more than sending them.
_shards = CounterShard.__table__
_SUM = select(func.coalesce(func.sum(_shards.c.count), 0)).where(_shards.c.petition_id == bindparam("of_petition"))
_ADD = (
    update(_shards)
    .where(_shards.c.petition_id == bindparam("of_petition"), _shards.c.shard == bindparam("which"))
    .values(count=_shards.c.count + bindparam("delta"))
)


def confirmed_count_of(petition_id):
    """The confirmed count of the petition ``petition_id`` (a column or value) names, as a scalar subquery.

    For a statement that reads a petition's rows and its count at once.
    """
    return (select(func.coalesce(func.sum(_shards.c.count), 0))
            .where(_shards.c.petition_id == petition_id).scalar_subquery())


def create_shards(petition, shards):
    """Give a new petition its zeroed counter rows."""
    for shard in range(shards):
        db.session.add(CounterShard(petition_id=petition.id, shard=shard, count=0))


def confirmed_count(petition_id):
    """The exact number of confirmed signatures, read from the counter shards.

    Read once per request: a confirmation checks its goal and then shows the
    count, and nothing between the two changes it except add_to_count.
    """
    known = request.environ.setdefault("petitions.counts", {}) if has_request_context() else {}
    if petition_id not in known:
        known[petition_id] = int(db.session.scalar(_SUM, {"of_petition": petition_id}) or 0)
    return known[petition_id]


def total_count(petition):
    """What the public sees and goals are measured by: confirmed online signatures plus those on paper."""
    return confirmed_count(petition.id) + petition.paper_count


def confirmed_counts(petition_ids):
    """Confirmed counts for several petitions in one query: {petition_id: count}."""
    counts = dict.fromkeys(petition_ids, 0)
    if petition_ids:
        rows = db.session.execute(
            select(CounterShard.petition_id, func.sum(CounterShard.count))
            .where(CounterShard.petition_id.in_(petition_ids))
            .group_by(CounterShard.petition_id)
        ).all()
        counts.update({petition_id: int(total or 0) for petition_id, total in rows})
    return counts


def add_to_count(petition_id, shards, delta=1):
    """Add ``delta`` to one randomly chosen shard of the petition's count."""
    if has_request_context():
        request.environ.pop("petitions.counts", None)
    db.session.execute(_ADD, {"of_petition": petition_id, "which": random.randrange(shards), "delta": delta})


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

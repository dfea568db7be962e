"""Running tallies of a petition's signatures, kept exact by the database itself.

The dashboard, the organiser's list and the updates page ask how many
signatures there are per status, per day, per country and per language. A
GROUP BY over the signatures answers that in time proportional to the
petition: 1.5 s at a million. These rows answer it in time proportional to
the number of days, countries and languages instead.

Triggers on ``signatures`` keep them, so every path that writes signatures
(the services, purge's bulk DELETE, a test or benchmark inserting rows) moves
them in the same transaction, and nothing can forget to. A tally is the sum of
its shards: each signature always lands in shard ``id % SHARDS`` on
PostgreSQL, so concurrent confirmations rarely wait on the same row, and the
two halves of a change (leave the old key, join the new one) land in the same
shard and net out there. SQLite has a single writer and uses shard 0, with row
triggers (it updates a row in place; PostgreSQL uses statement triggers, see below).

Dimensions, each counted per key:
  status     every signature, by status
  ever       confirmed at some point (confirmed_at set), key ""
  day        confirmed and still counting, by UTC day of confirmation (YYYY-MM-DD)
  country    confirmed, by country
  language   confirmed, by language
  updates    confirmed and asked for updates, by language
"""
from sqlalchemy import DDL, ForeignKey, Integer, SmallInteger, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .signature import Signature

SHARDS = 16

STATUS = "status"
EVER = "ever"
DAY = "day"
COUNTRY = "country"
LANGUAGE = "language"
UPDATES = "updates"


class SignatureTally(db.Model):
    __tablename__ = "signature_tallies"

    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


_CONFIRMED = "'confirmed'"


def _contributions(row, delta, dialect, source="", where=""):
    """SELECTs giving (petition_id, dimension, key, shard, delta) for what signatures count towards.

    ``row`` is NEW or OLD inside a row trigger (``source`` empty), or an alias that ``source``, a
    FROM clause, names; ``where`` is an extra condition on every row.
    """
    day = f"to_char({row}.confirmed_at, 'YYYY-MM-DD')" if dialect == "postgresql" else f"date({row}.confirmed_at)"
    shard = f"({row}.id % {SHARDS})" if dialect == "postgresql" else "0"
    confirmed = f"{row}.status = {_CONFIRMED}"
    wants = f"{row}.wants_updates" if dialect == "postgresql" else f"{row}.wants_updates = 1"
    parts = [
        (STATUS, f"{row}.status", "1 = 1"),
        (EVER, "''", f"{row}.confirmed_at IS NOT NULL"),
        (DAY, day, f"{confirmed} AND {row}.confirmed_at IS NOT NULL"),
        (COUNTRY, f"{row}.country", confirmed),
        (LANGUAGE, f"{row}.language", confirmed),
        (UPDATES, f"{row}.language", f"{confirmed} AND {wants}"),
    ]
    return [f"SELECT {row}.petition_id AS petition_id, '{dimension}' AS dimension, {key} AS key, "
            f"{shard} AS shard, {delta} AS delta {source} WHERE {where}{condition}"
            for dimension, key, condition in parts]


def _apply(selects):
    # Summed first, so a change that leaves a key where it was writes nothing, and PostgreSQL never
    # sees one key twice in a statement; ordered, so two transactions lock shared rows in one order.
    return (
        "INSERT INTO signature_tallies (petition_id, dimension, key, shard, count) "
        "SELECT petition_id, dimension, key, shard, SUM(delta) FROM ("
        + " UNION ALL ".join(selects)
        + ") AS changes GROUP BY petition_id, dimension, key, shard HAVING SUM(delta) <> 0 "
        "ORDER BY petition_id, dimension, key, shard "
        "ON CONFLICT (petition_id, dimension, key, shard) DO UPDATE SET count = signature_tallies.count + excluded.count"
    )


# The columns a tally depends on: an UPDATE touching none of them leaves the tallies alone.
_WATCHED = ("petition_id", "status", "confirmed_at", "country", "language", "wants_updates")
_CHANGED_SQLITE = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _WATCHED)

# The trigger SQL, one statement per item, for each dialect. Migration 0011 runs these as they are
# today; a later change to them comes with a migration of its own that replaces the triggers.
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER signature_tallies_insert AFTER INSERT ON signatures BEGIN "
        + _apply(_contributions("NEW", 1, "sqlite")) + "; END",
        "CREATE TRIGGER signature_tallies_delete AFTER DELETE ON signatures BEGIN "
        + _apply(_contributions("OLD", -1, "sqlite")) + "; END",
        f"CREATE TRIGGER signature_tallies_update AFTER UPDATE OF {', '.join(_WATCHED)} ON signatures "
        f"WHEN {_CHANGED_SQLITE} BEGIN "
        + _apply(_contributions("OLD", -1, "sqlite") + _contributions("NEW", 1, "sqlite")) + "; END",
    ],
    # Statement triggers over transition tables: one upsert per statement, however many rows it
    # wrote. Row triggers would update one tally row once per signature, and in one transaction
    # PostgreSQL keeps every version of it: a bulk insert or purge of n rows would cost n squared.
    "postgresql": [
        "CREATE OR REPLACE FUNCTION signature_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n    "
        + _apply(_contributions("n", 1, "postgresql", "FROM new_rows AS n")) + ";\n"
        "  ELSIF TG_OP = 'DELETE' THEN\n    "
        # A petition being deleted takes its tallies with it (ON DELETE CASCADE); its signatures,
        # deleted by the same cascade, must not write new ones for it.
        + _apply(_contributions("o", -1, "postgresql", "FROM old_rows AS o",
                                "EXISTS (SELECT 1 FROM petitions WHERE petitions.id = o.petition_id) AND ")) + ";\n"
        "  ELSE\n    "
        + _apply(_contributions("o", -1, "postgresql", "FROM old_rows AS o")
                 + _contributions("n", 1, "postgresql", "FROM new_rows AS n")) + ";\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END $$",
        "CREATE TRIGGER signature_tallies_insert AFTER INSERT ON signatures REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION signature_tallies_apply()",
        "CREATE TRIGGER signature_tallies_delete AFTER DELETE ON signatures REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION signature_tallies_apply()",
        # PostgreSQL allows no column list beside transition tables: every UPDATE runs it, and one that
        # moves no watched column nets to nothing (HAVING SUM(delta) <> 0) and writes nothing.
        "CREATE TRIGGER signature_tallies_update AFTER UPDATE ON signatures "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION signature_tallies_apply()",
    ],
}

DROP_TRIGGERS = {
    "sqlite": [f"DROP TRIGGER IF EXISTS signature_tallies_{event_}" for event_ in ("insert", "delete", "update")],
    "postgresql": [f"DROP TRIGGER IF EXISTS signature_tallies_{event_} ON signatures"
                   for event_ in ("insert", "delete", "update")]
    + ["DROP FUNCTION IF EXISTS signature_tallies_apply()"],
}


def rebuild_sql(dialect, one_petition):
    """The statements that recount tallies from the rows (all petitions, or ``:petition_id``)."""
    where = " AND s.petition_id = :petition_id" if one_petition else ""
    selects = [part.replace(" WHERE ", " WHERE 1 = 1" + where + " AND ", 1)
               for part in _contributions("s", 1, dialect, "FROM signatures AS s")]
    delete = "DELETE FROM signature_tallies" + (" WHERE petition_id = :petition_id" if one_petition else "")
    insert = (
        "INSERT INTO signature_tallies (petition_id, dimension, key, shard, count) "
        "SELECT petition_id, dimension, key, shard, SUM(delta) FROM (" + " UNION ALL ".join(selects)
        + ") AS rows GROUP BY petition_id, dimension, key, shard"
    )
    return [delete, insert]


def rebuild_tallies(session, petition_id=None):
    """Recount the tallies of one petition (or all) from its signatures.

    The triggers are the authority; this repairs after someone bypassed them
    (a restore without triggers, a hand edit) and serves bulk loads that
    insert with the triggers off.
    """
    dialect = session.get_bind().dialect.name
    params = {"petition_id": petition_id} if petition_id is not None else {}
    for statement in rebuild_sql(dialect, petition_id is not None):
        session.execute(text(statement), params)


# Signatures are created after the tallies they write to, and emptied or dropped before them.
Signature.__table__.add_is_dependent_on(SignatureTally.__table__)
for _dialect, _statements in TRIGGERS.items():
    for _statement in _statements:
        # DDL reads % as the start of a substitution.
        event.listen(Signature.__table__, "after_create",
                     DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect))

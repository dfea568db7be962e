"""Named CHECK constraints on every status, kind and role, so the database refuses a value the code does not know.

Petition status and kind, signature status, the role of a membership and of
an invitation, and a letter signatory's status and kind. A database holding a
value outside them is left untouched: the upgrade stops first and names each
column, value and number of rows, for someone to decide what those rows mean.

SQLite adds a constraint only by copying the table (Alembic's batch mode). The
copy would lose the tally triggers on ``signatures`` and its partial index, so
both are dropped first and made again after, from the SQL 0011 used.

Revision ID: 0012_state_checks
Revises: 0011_signature_tallies
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa

# The values as the models define them today, like 0011's trigger SQL: a later change to them comes
# with a migration of its own that replaces the constraint.
from petitions.models import PetitionKind, PetitionStatus, Role, SignatoryKind, SignatoryStatus
from petitions.models.tally import DROP_TRIGGERS, TRIGGERS
from petitions.models.types import in_values


# revision identifiers, used by Alembic.
revision = '0012_state_checks'
down_revision = '0011_signature_tallies'
branch_labels = None
depends_on = None

# (table, column, allowed values); each constraint is named ck_<table>_<column>, as the models' naming convention names it.
CHECKS = [
    ('petitions', 'status', PetitionStatus.ALL),
    ('petitions', 'kind', PetitionKind.ALL),
    # Frozen: 0017_integrity added 'invalidated' to the models' list and replaces this constraint itself.
    ('signatures', 'status', ('pending', 'confirmed', 'withdrawn')),
    ('memberships', 'role', Role.ALL),
    ('invitations', 'role', Role.ALL),
    ('letter_signatories', 'status', SignatoryStatus.ALL),
    ('letter_signatories', 'kind', SignatoryKind.ALL),
]


class StatesOutOfRange(RuntimeError):
    """Rows hold a status, kind or role the constraints would refuse; nothing was changed."""


def _tables():
    tables = {}
    for table, column, values in CHECKS:
        tables.setdefault(table, []).append((column, values))
    return tables


def _refuse_unknown_values(bind):
    found = []
    for table, column, values in CHECKS:
        rows = bind.execute(sa.text(
            f"SELECT {column}, COUNT(*) FROM {table} WHERE NOT ({in_values(column, values)}) "
            f"GROUP BY {column} ORDER BY {column}")).all()
        found += [f"{table}.{column}: {count} row(s) hold {value!r} (allowed: {', '.join(values)})"
                  for value, count in rows]
    if found:
        raise StatesOutOfRange("0012_state_checks changed nothing: these rows hold values the new CHECK constraints "
                               "refuse; correct or remove them, then upgrade again.\n  " + "\n  ".join(found))


def _without_signature_extras(dialect):
    """Drop what copying ``signatures`` would lose (SQLite only); returns how to put it back."""
    if dialect != 'sqlite':
        return lambda: None
    for statement in DROP_TRIGGERS[dialect]:
        op.execute(statement)
    op.drop_index('ix_signatures_public_recent', table_name='signatures')

    def restore():
        op.create_index(
            'ix_signatures_public_recent', 'signatures', ['petition_id', 'confirmed_at', 'shown_name', 'country'],
            sqlite_where=sa.text("show_name = 1 AND status = 'confirmed'"),
            postgresql_where=sa.text("show_name AND status = 'confirmed'"),
        )
        # Made again with no signature written in between (SQLite has one writer), so the tallies stay exact.
        for statement in TRIGGERS[dialect]:
            op.execute(statement)
    return restore


def upgrade():
    bind = op.get_bind()
    _refuse_unknown_values(bind)
    restore = _without_signature_extras(bind.dialect.name)
    for table, checks in _tables().items():
        with op.batch_alter_table(table) as batch_op:
            for column, values in checks:
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}'), in_values(column, values))
    restore()


def downgrade():
    restore = _without_signature_extras(op.get_bind().dialect.name)
    for table, checks in _tables().items():
        with op.batch_alter_table(table) as batch_op:
            for column, _values in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
    restore()

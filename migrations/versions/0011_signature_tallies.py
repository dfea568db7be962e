"""Tallies of each petition's signatures per status, day, country and language, kept by triggers.

The dashboard and the organiser's pages read these instead of grouping a
petition's signatures, and a partial index lets the public page find its
recent listed signers without walking those who chose not to be listed.
The tallies are counted from the rows that exist when this runs.

Revision ID: 0011_signature_tallies
Revises: 0010_update_sent_at
Create Date: 2026-12-01 19:45:00

"""
from alembic import op
import sqlalchemy as sa

# The trigger SQL as the models define it today. A later change to that SQL comes with a
# migration of its own that drops and recreates the triggers, so this one keeps meaning what it did.
from petitions.models.tally import DROP_TRIGGERS, TRIGGERS, rebuild_sql


# revision identifiers, used by Alembic.
revision = '0011_signature_tallies'
down_revision = '0010_update_sent_at'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signature_tallies',
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=16), nullable=False),
        sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('petition_id', 'dimension', 'key', 'shard'),
    )
    op.create_index(
        'ix_signatures_public_recent', 'signatures', ['petition_id', 'confirmed_at', 'shown_name', 'country'],
        sqlite_where=sa.text("show_name = 1 AND status = 'confirmed'"),
        postgresql_where=sa.text("show_name AND status = 'confirmed'"),
    )
    dialect = op.get_bind().dialect.name
    for statement in TRIGGERS[dialect]:
        op.execute(statement)
    # Counted after the triggers exist, in the same transaction (both databases have transactional
    # DDL), so a signature written while this runs is counted once, by one or the other.
    for statement in rebuild_sql(dialect, one_petition=False):
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index('ix_signatures_public_recent', table_name='signatures')
    op.drop_table('signature_tallies')

"""Counts of events per petition (reminders, arrivals per hour, mail sent, bounces, complaints).

Revision ID: 0013_event_counts
Revises: 0012_state_checks
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_event_counts'
down_revision = '0012_state_checks'
branch_labels = None
depends_on = None

# The kinds as they are at this revision, written out: a later kind comes with a migration of its own.
KINDS = ('reminder_sent', 'reminder_confirmed', 'signed_hour', 'mail_sent', 'mail_bounced', 'mail_complained')


def upgrade():
    op.create_table(
        'petition_event_counts',
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('key', sa.String(length=24), nullable=False),
        sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN (" + ", ".join(repr(kind) for kind in KINDS) + ")",
                           name=op.f('ck_petition_event_counts_kind')),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_event_counts_petition_id_petitions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('petition_id', 'kind', 'key', 'shard', name=op.f('pk_petition_event_counts')),
    )


def downgrade():
    op.drop_table('petition_event_counts')

"""Delivery, responses and outcome: a petition's public timeline, its texts per language and its files.

Revision ID: 0015_timeline
Revises: 0014_confirm_reminders
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_timeline'
down_revision = '0014_confirm_reminders'
branch_labels = None
depends_on = None

# The values as they are at this revision, written out: a later one comes with a migration of its own.
KINDS = ('delivery', 'response', 'outcome')
OUTCOMES = ('won', 'partly_won', 'no_answer', 'closed')
FILE_KINDS = ('photo', 'pdf')


def _in(column, values):
    return f"{column} IN (" + ", ".join(repr(value) for value in values) + ")"


def upgrade():
    op.create_table(
        'timeline_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('happened_on', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=True),
        sa.Column('update_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in('kind', KINDS), name=op.f('ck_timeline_entries_kind')),
        sa.CheckConstraint(_in('outcome', OUTCOMES), name=op.f('ck_timeline_entries_outcome')),
        sa.CheckConstraint("(kind = 'outcome') = (outcome IS NOT NULL)",
                           name=op.f('ck_timeline_entries_outcome_only_on_outcomes')),
        sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'],
                                name=op.f('fk_timeline_entries_created_by_id_accounts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'],
                                name=op.f('fk_timeline_entries_petition_id_petitions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['update_id'], ['petition_updates.id'],
                                name=op.f('fk_timeline_entries_update_id_petition_updates'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_entries')),
    )
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_entries_petition_id'), ['petition_id'], unique=False)

    op.create_table(
        'timeline_texts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('who', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('photo_alt', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['timeline_entries.id'],
                                name=op.f('fk_timeline_texts_entry_id_timeline_entries'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_texts')),
        sa.UniqueConstraint('entry_id', 'language', name=op.f('uq_timeline_texts_entry_id_language')),
    )

    op.create_table(
        'timeline_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in('kind', FILE_KINDS), name=op.f('ck_timeline_files_kind')),
        sa.ForeignKeyConstraint(['entry_id'], ['timeline_entries.id'],
                                name=op.f('fk_timeline_files_entry_id_timeline_entries'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_files')),
        sa.UniqueConstraint('entry_id', 'kind', name=op.f('uq_timeline_files_entry_id_kind')),
    )


def downgrade():
    op.drop_table('timeline_files')
    op.drop_table('timeline_texts')
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_entries_petition_id'))
    op.drop_table('timeline_entries')

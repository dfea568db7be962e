"""Integrity tools for a flood: each signature's fingerprint and domain hash, invalidations, the status 'invalidated'.

``signatures`` gains ``created_day`` (the UTC day of created_at),
``client_hash`` (the day's keyed hash of the client's network, blanked after
FINGERPRINT_RETENTION_DAYS), ``email_domain_hash``, ``invalidation_id`` and
``invalidated_from``, four indexes, and a status constraint that allows
'invalidated'. ``invalidations`` records each one. Rows already there get
none of the new values: they have no fingerprint or domain hash to group by.

SQLite changes a CHECK constraint only by copying the table (batch mode), so
as 0012 does, the tally triggers and the partial index are dropped first and
made again after, from the SQL 0011 used; the columns are added in the same copy.
The partial index on invalidation_id is made after the copy too (a copy would
lose its WHERE): a later migration that copies the table must make it again.
Going back is refused while any signature is invalidated: older code would
neither count nor show them, nor accept the status.

Revision ID: 0017_integrity
Revises: 0016_bounces
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa

from petitions.models.tally import DROP_TRIGGERS, TRIGGERS
from petitions.models.types import in_values


# revision identifiers, used by Alembic.
revision = '0017_integrity'
down_revision = '0016_bounces'
branch_labels = None
depends_on = None

# The values as they are at this revision (0012 froze the list before it): a later change comes with a
# migration of its own.
STATUSES_BEFORE = ('pending', 'confirmed', 'withdrawn')
STATUSES = ('pending', 'confirmed', 'withdrawn', 'invalidated')
INVALIDATABLE = ('pending', 'confirmed')
KINDS = ('fingerprint', 'domain')

# (name, columns) of the new indexes on signatures, besides the partial one on invalidation_id.
INDEXES = [
    ('ix_signatures_petition_day_client', ['petition_id', 'created_day', 'client_hash']),
    ('ix_signatures_petition_day_domain', ['petition_id', 'created_day', 'email_domain_hash']),
    ('ix_signatures_petition_domain', ['petition_id', 'email_domain_hash']),
]


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
    op.create_table(
        'invalidations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('client_hash', sa.String(length=64), nullable=True),
        sa.Column('email_domain_hash', sa.String(length=64), nullable=True),
        sa.Column('domain_label', sa.String(length=64), nullable=True),
        sa.Column('window_start', sa.DateTime(), nullable=True),
        sa.Column('window_end', sa.DateTime(), nullable=True),
        sa.Column('matched_pending', sa.Integer(), nullable=False),
        sa.Column('matched_confirmed', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=400), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by_id', sa.Integer(), nullable=True),
        sa.Column('undone_by', sa.String(length=400), nullable=True),
        sa.Column('restored_pending', sa.Integer(), nullable=True),
        sa.Column('restored_confirmed', sa.Integer(), nullable=True),
        sa.CheckConstraint(in_values('kind', KINDS), name=op.f('ck_invalidations_kind')),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_invalidations_petition_id_petitions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'],
                                name=op.f('fk_invalidations_created_by_id_accounts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['undone_by_id'], ['accounts.id'],
                                name=op.f('fk_invalidations_undone_by_id_accounts'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invalidations')),
    )
    op.create_index('ix_invalidations_petition_created', 'invalidations', ['petition_id', 'created_at'])
    restore = _without_signature_extras(op.get_bind().dialect.name)
    with op.batch_alter_table('signatures') as batch_op:
        batch_op.add_column(sa.Column('created_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('client_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_domain_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('invalidation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('invalidated_from', sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(op.f('fk_signatures_invalidation_id_invalidations'), 'invalidations',
                                    ['invalidation_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(op.f('ck_signatures_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_signatures_status'), in_values('status', STATUSES))
        batch_op.create_check_constraint(op.f('ck_signatures_invalidated_from'),
                                         'invalidated_from IS NULL OR ' + in_values('invalidated_from', INVALIDATABLE))
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)
    restore()
    op.create_index('ix_signatures_invalidation_id', 'signatures', ['invalidation_id'],
                    sqlite_where=sa.text('invalidation_id IS NOT NULL'),
                    postgresql_where=sa.text('invalidation_id IS NOT NULL'))


def downgrade():
    invalidated = op.get_bind().execute(
        sa.text("SELECT count(*) FROM signatures WHERE status = 'invalidated'")).scalar()
    if invalidated:
        raise RuntimeError(f"{invalidated} signatures are invalidated: undo their invalidations on the integrity "
                           "page (or delete those signatures) before downgrading")
    op.drop_index('ix_signatures_invalidation_id', table_name='signatures')
    restore = _without_signature_extras(op.get_bind().dialect.name)
    with op.batch_alter_table('signatures') as batch_op:
        for name, _columns in INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_constraint(op.f('ck_signatures_invalidated_from'), type_='check')
        batch_op.drop_constraint(op.f('ck_signatures_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_signatures_status'), in_values('status', STATUSES_BEFORE))
        batch_op.drop_constraint(op.f('fk_signatures_invalidation_id_invalidations'), type_='foreignkey')
        batch_op.drop_column('invalidated_from')
        batch_op.drop_column('invalidation_id')
        batch_op.drop_column('email_domain_hash')
        batch_op.drop_column('client_hash')
        batch_op.drop_column('created_day')
    restore()
    op.drop_index('ix_invalidations_petition_created', table_name='invalidations')
    op.drop_table('invalidations')

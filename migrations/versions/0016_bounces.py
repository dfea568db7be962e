"""Return paths and the suppression list: what a bounce or complaint needs, and the addresses it stops mail to.

- ``return_paths``: one row per message sent while BOUNCE_ADDRESS is set,
  found by a digest of the token in the message's envelope sender; it holds
  the recipient's site-wide address hash sealed under a key derived from
  that token, the petition and kind, and is deleted BOUNCE_WINDOW_DAYS after
  sending.
- ``mail_suppressions``: keyed address hashes that hard-bounced or
  complained, with a named CHECK on the reason.

Revision ID: 0016_bounces
Revises: 0015_timeline
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_bounces'
down_revision = '0015_timeline'
branch_labels = None
depends_on = None

# The reasons as they are at this revision, written out: a later reason comes with a migration of its own.
REASONS = ('bounced', 'complained')


def upgrade():
    op.create_table(
        'return_paths',
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('sealed_address', sa.LargeBinary(length=96), nullable=False),
        sa.Column('petition_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('bounced_at', sa.DateTime(), nullable=True),
        sa.Column('complained_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_return_paths_petition_id_petitions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_digest', name=op.f('pk_return_paths')),
    )
    op.create_index(op.f('ix_return_paths_sent_at'), 'return_paths', ['sent_at'], unique=False)
    op.create_table(
        'mail_suppressions',
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('suppressed_at', sa.DateTime(), nullable=False),
        sa.Column('dropped', sa.Integer(), nullable=False),
        sa.CheckConstraint("reason IN (" + ", ".join(repr(reason) for reason in REASONS) + ")",
                           name=op.f('ck_mail_suppressions_reason')),
        sa.PrimaryKeyConstraint('address_hash', name=op.f('pk_mail_suppressions')),
    )
    op.create_index(op.f('ix_mail_suppressions_suppressed_at'), 'mail_suppressions', ['suppressed_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_mail_suppressions_suppressed_at'), table_name='mail_suppressions')
    op.drop_table('mail_suppressions')
    op.drop_index(op.f('ix_return_paths_sent_at'), table_name='return_paths')
    op.drop_table('return_paths')

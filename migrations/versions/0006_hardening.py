"""Hardening: no client hashes or paper names kept, two-factor failures and recovery codes, co-sign send caps.

- ``signatures.ip_hash`` was written and never read, yet linked signers who
  shared an address that day: dropped.
- Paper lists keep their count and countries, never names or cities.
- ``accounts.second_step_failures`` and ``second_step_failed_at`` stop the
  code step after repeated wrong codes within a rolling window;
  ``recovery_codes`` holds hashed single-use codes.
- Letter sign-ons count their confirmation emails, so the sends are capped
  and retention counts from the last one.

Revision ID: 0006_hardening
Revises: 0005_outbox_context
Create Date: 2026-12-01 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_hardening'
down_revision = '0005_outbox_context'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signatures') as batch_op:
        batch_op.drop_column('ip_hash')

    with op.batch_alter_table('paper_signatures') as batch_op:
        batch_op.drop_column('full_name')
        batch_op.drop_column('city')

    with op.batch_alter_table('accounts') as batch_op:
        batch_op.add_column(sa.Column('second_step_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('second_step_failed_at', sa.DateTime(), nullable=True))

    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_recovery_codes_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    )
    with op.batch_alter_table('recovery_codes') as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('letter_signatories') as batch_op:
        batch_op.add_column(sa.Column('confirmation_sends', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('confirmation_sent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('letter_signatories') as batch_op:
        batch_op.drop_column('confirmation_sent_at')
        batch_op.drop_column('confirmation_sends')

    with op.batch_alter_table('recovery_codes') as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_account_id'))
    op.drop_table('recovery_codes')

    with op.batch_alter_table('accounts') as batch_op:
        batch_op.drop_column('second_step_failed_at')
        batch_op.drop_column('second_step_failures')

    # The names are gone for good; the columns come back empty.
    with op.batch_alter_table('paper_signatures') as batch_op:
        batch_op.add_column(sa.Column('full_name', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('city', sa.String(length=80), server_default='', nullable=False))

    with op.batch_alter_table('signatures') as batch_op:
        batch_op.add_column(sa.Column('ip_hash', sa.String(length=64), nullable=True))

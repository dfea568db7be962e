"""Outbox rows keep their Message-ID and a worker's claim, so no transaction is held across sends.

- ``message_id``: chosen when a worker first claims the row and sent on
  every attempt, so a message repeated after a crash is recognisable.
- ``claimed_until``: a lease. A worker claims a few rows in one short
  transaction, sends them one by one and records each as sent in its own;
  rows a crashed worker held become due again when the lease runs out.

Mail workers of an older version ignore leases: stop them before upgrading.

Revision ID: 0007_message_ids
Revises: 0006_hardening
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_message_ids'
down_revision = '0006_hardening'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('message_id')

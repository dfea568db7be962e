"""Mail is queued as its facts and rendered when it is sent.

Rendering two templates was a quarter of what a signature cost inside the
web request; the mail worker now does it. Messages queued before this
revision keep their stored subject and bodies and are sent as they are.

Revision ID: 0005_outbox_context
Revises: 0004_letters
Create Date: 2026-11-24 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_outbox_context'
down_revision = '0004_letters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.add_column(sa.Column('context', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_column('context')

"""Mail is queued as its facts and rendered when it is sent.

Rendering two templates was a quarter of what a signature cost inside the
web request; the mail worker now does it. Messages queued before this
revision keep their stored subject and bodies and are sent as they are.
Mail workers of an older version would send the new rows empty: stop them
before upgrading (README, "Upgrading").

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
    # Older code would send these as empty messages: they exist only as facts.
    unsent = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM outbox_messages WHERE context IS NOT NULL AND sent_at IS NULL")).scalar()
    if unsent:
        raise RuntimeError(f"{unsent} queued messages are not rendered yet: run `petitions mail send` first")
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_column('context')

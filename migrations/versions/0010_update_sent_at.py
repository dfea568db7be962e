"""Updates record when they were sent: a draft is an update not sent yet.

Every update stored before this revision was published when it was made,
so ``sent_at`` starts as ``created_at``.

Revision ID: 0010_update_sent_at
Revises: 0009_sealed_signer_data
Create Date: 2026-12-01 18:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_update_sent_at'
down_revision = '0009_sealed_signer_data'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('petition_updates') as batch_op:
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE petition_updates SET sent_at = created_at")


def downgrade():
    # Older code has no drafts: it would publish and mail them. Refuse while there are any.
    drafts = op.get_bind().execute(sa.text("SELECT count(*) FROM petition_updates WHERE sent_at IS NULL")).scalar()
    if drafts:
        raise RuntimeError(f"{drafts} draft updates exist: send or delete them before downgrading")
    with op.batch_alter_table('petition_updates') as batch_op:
        batch_op.drop_column('sent_at')

"""One reminder for a signature still pending: when it went out, and an index of the signatures still due one.

``signatures.reminder_sent_at`` is a nullable column, added without copying
the table, so the tally triggers of 0011 stay as they are. The partial index
holds only pending, readable signatures not yet reminded, ordered by their
last confirmation email: the reminder job reads the due ones from its start
and never scans a petition's signatures.

Revision ID: 0014_confirm_reminders
Revises: 0013_event_counts
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_confirm_reminders'
down_revision = '0013_event_counts'
branch_labels = None
depends_on = None

# As petitions/models/signature.py words it (a literal here, so later changes there leave this migration alone).
DUE = "status = 'pending' AND reminder_sent_at IS NULL AND sealed IS NULL"


def upgrade():
    op.add_column('signatures', sa.Column('reminder_sent_at', sa.DateTime(), nullable=True))
    op.create_index('ix_signatures_reminder_due', 'signatures', ['confirmation_sent_at'],
                    sqlite_where=sa.text(DUE), postgresql_where=sa.text(DUE))


def downgrade():
    op.drop_index('ix_signatures_reminder_due', table_name='signatures')
    # SQLite drops a column in place (3.35+): no copy of the table, so the triggers stay.
    op.drop_column('signatures', 'reminder_sent_at')

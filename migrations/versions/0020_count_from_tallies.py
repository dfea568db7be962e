"""Count confirmed signatures from the tallies alone: drop signature_counters.

The tallies' status/confirmed rows (0011), kept by triggers, already hold the
same count, so the counter rows every path moved by hand go. Going back
recreates them, filled from the tallies, for the code that adds to them.

Revision ID: 0020_count_from_tallies
Revises: 0019_subscribers
Create Date: 2026-12-02 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_count_from_tallies'
down_revision = '0019_subscribers'
branch_labels = None
depends_on = None

# The older code adds to a random shard of 0..COUNTER_SHARDS - 1 (16 by default) and finds no row to
# add to if its shard is missing: every petition gets all 16.
SHARDS = 16


def upgrade():
    op.drop_table('signature_counters')


def downgrade():
    op.create_table('signature_counters',
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_signature_counters_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('petition_id', 'shard', name=op.f('pk_signature_counters'))
    )
    # Each petition's confirmed count as the tallies hold it, shard by shard (on SQLite all in shard 0).
    # The dimension and status are written out as they are at this revision.
    shards = " UNION ALL ".join(f"SELECT {shard} AS shard" for shard in range(SHARDS))
    op.execute(
        "INSERT INTO signature_counters (petition_id, shard, count) "
        "SELECT p.id, s.shard, COALESCE((SELECT SUM(t.count) FROM signature_tallies AS t "
        "WHERE t.petition_id = p.id AND t.dimension = 'status' AND t.key = 'confirmed' AND t.shard = s.shard), 0) "
        f"FROM petitions AS p CROSS JOIN ({shards}) AS s"
    )

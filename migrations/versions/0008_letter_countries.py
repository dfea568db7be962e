"""Letter signatories: no country, several countries, or a region.

- ``letter_signatories.countries`` holds the ISO codes, comma-separated, in
  order; existing rows get their one ``country``.
- ``country`` stays as the first code, now NULL for an organisation with no
  country, so ``/api/v1`` keeps its field.
- ``region`` keeps a region that is not a country ("Asia-Pacific") as typed.

Revision ID: 0008_letter_countries
Revises: 0007_message_ids
Create Date: 2026-12-01 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_letter_countries'
down_revision = '0007_message_ids'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter_signatories') as batch_op:
        batch_op.add_column(sa.Column('countries', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('region', sa.String(length=120), server_default='', nullable=False))
        batch_op.alter_column('country', existing_type=sa.String(length=2), nullable=True)
    op.execute("UPDATE letter_signatories SET countries = country WHERE country IS NOT NULL")


def downgrade():
    # A signatory without a country cannot go back to a schema that requires one: refuse rather than invent one.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM letter_signatories WHERE country IS NULL")).scalar():
        raise RuntimeError("some letter signatories have no country; 0008 cannot be undone without inventing one")
    with op.batch_alter_table('letter_signatories') as batch_op:
        batch_op.alter_column('country', existing_type=sa.String(length=2), nullable=False)
        batch_op.drop_column('region')
        batch_op.drop_column('countries')

"""Open letters: co-signing organisations and individuals, and how their lists are ordered.

Revision ID: 0004_letters
Revises: 0003_organisers
Create Date: 2026-11-24 05:56:17.611800

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_letters'
down_revision = '0003_organisers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_signatories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_role', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('moderation_note', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('moderated_at', sa.DateTime(), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['accounts.id'], name=op.f('fk_letter_signatories_moderated_by_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_letter_signatories_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_signatories'))
    )
    with op.batch_alter_table('letter_signatories', schema=None) as batch_op:
        batch_op.create_index('ix_letter_signatories_petition_name_key', ['petition_id', 'kind', 'name_key'], unique=False)
        batch_op.create_index('ix_letter_signatories_petition_status', ['petition_id', 'status'], unique=False)

    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signatory_order', sa.String(length=16), server_default='alphabetical', nullable=False))



def downgrade():
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_column('signatory_order')

    with op.batch_alter_table('letter_signatories', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_signatories_petition_status')
        batch_op.drop_index('ix_letter_signatories_petition_name_key')

    op.drop_table('letter_signatories')

"""Privacy: daily hash keys, public-name choice, IP hashes, withdrawal and retention dates.

Revision ID: 0002_privacy
Revises: 0001_initial
Create Date: 2026-11-24 05:05:23.394367

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_privacy'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_keys',
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('purpose', 'day', name=op.f('pk_daily_keys'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_signature_id'), ['signature_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_signature_id_signatures'), 'signatures',
                                    ['signature_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('signers_anonymised_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_name', sa.String(length=10), nullable=False, server_default='full'))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('ip_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('confirmation_sent_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('email_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.create_index('ix_signatures_email_hash', ['email_hash'], unique=False)
        batch_op.create_index('ix_signatures_petition_confirmed_at', ['petition_id', 'confirmed_at'], unique=False)



def downgrade():
    # Rows that were withdrawn or anonymised have no hash; give them a placeholder
    # so the column can become NOT NULL again.
    op.execute("UPDATE signatures SET email_hash = 'erased-' || id WHERE email_hash IS NULL")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_petition_confirmed_at')
        batch_op.drop_index('ix_signatures_email_hash')
        batch_op.alter_column('email_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('confirmation_sent_at')
        batch_op.drop_column('ip_hash')
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('public_name')

    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_column('signers_anonymised_at')
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_signature_id_signatures'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_signature_id'))
        batch_op.drop_column('signature_id')

    op.drop_table('daily_keys')

"""Subscribers: people who asked an organisation to keep them informed, and the mailings sent to them.

Revision ID: 0019_subscribers
Revises: 0018_organisation_pages
Create Date: 2026-12-01 23:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_subscribers'
down_revision = '0018_organisation_pages'
branch_labels = None
depends_on = None

# The statuses as they are at this revision, written out: a later one comes with a migration of its own.
STATUSES = ('pending', 'confirmed', 'unsubscribed')


def upgrade():
    op.create_table(
        'subscribers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('email_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('sealing_key_id', sa.Integer(), nullable=True),
        sa.Column('sealed', sa.LargeBinary(), nullable=True),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('confirmation_sends', sa.Integer(), nullable=False),
        sa.Column('confirmation_sent_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN (" + ", ".join(repr(status) for status in STATUSES) + ")",
                           name=op.f('ck_subscribers_status')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_subscribers_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sealing_key_id'], ['sealing_keys.id'],
                                name=op.f('fk_subscribers_sealing_key_id_sealing_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscribers')),
        sa.UniqueConstraint('organisation_id', 'email_hash', name=op.f('uq_subscribers_organisation_id_email_hash')),
    )
    op.create_index('ix_subscribers_organisation_status', 'subscribers', ['organisation_id', 'status', 'id'])
    op.create_table(
        'subscriber_mailings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('mailing_after_id', sa.Integer(), nullable=False),
        sa.Column('mailing_done_at', sa.DateTime(), nullable=True),
        sa.Column('mailed_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['accounts.id'],
                                name=op.f('fk_subscriber_mailings_author_id_accounts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_subscriber_mailings_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriber_mailings')),
    )
    op.create_index(op.f('ix_subscriber_mailings_organisation_id'), 'subscriber_mailings', ['organisation_id'])
    op.create_table(
        'subscriber_mailing_texts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mailing_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['mailing_id'], ['subscriber_mailings.id'],
                                name=op.f('fk_subscriber_mailing_texts_mailing_id_subscriber_mailings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriber_mailing_texts')),
        sa.UniqueConstraint('mailing_id', 'language', name=op.f('uq_subscriber_mailing_texts_mailing_id_language')),
    )


def downgrade():
    op.drop_table('subscriber_mailing_texts')
    op.drop_index(op.f('ix_subscriber_mailings_organisation_id'), table_name='subscriber_mailings')
    op.drop_table('subscriber_mailings')
    op.drop_index('ix_subscribers_organisation_status', table_name='subscribers')
    op.drop_table('subscribers')

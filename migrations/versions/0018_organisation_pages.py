"""The organisation's public page: a fixed web address (slug), descriptions per language, statements.

Every existing organisation gets a slug made from its name, as the petition editor suggests one:
Cyrillic spelled in Latin letters, accents dropped, other characters a hyphen. A name with nothing
usable left (Chinese, say) becomes "organisation-<id>"; a slug already taken gets "-2", "-3" ...
The spelling is written out here, not imported, so a later change to the editor's suggestion
cannot change what this migration does.

Adding the NOT NULL constraint copies ``organisations`` on SQLite (batch mode); the table has no
triggers or partial indexes to lose, and SQLite's foreign keys are off, so nothing cascades.

Revision ID: 0018_organisation_pages
Revises: 0017_integrity
Create Date: 2026-12-01 23:40:00

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_organisation_pages'
down_revision = '0017_integrity'
branch_labels = None
depends_on = None

SLUG_LENGTH = 100
STATEMENT_STATUSES = ('draft', 'published')

_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўєїґ",
    "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch _ y _ e iu ia i u ie i g".split(), strict=True,
))
_CYRILLIC.update({"ъ": "", "ь": ""})


def _slug_from(name):
    spelled = "".join(_CYRILLIC.get(ch, ch) for ch in (name or "").lower())
    ascii_only = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:SLUG_LENGTH].rstrip("-")


def backfill_slugs(bind):
    """Give every organisation without a slug one made from its name, unique, in the order they were made."""
    rows = bind.execute(sa.text("SELECT id, name, slug FROM organisations ORDER BY id")).all()
    taken = {slug for _id, _name, slug in rows if slug}
    for organisation_id, name, slug in rows:
        if slug:
            continue
        base = _slug_from(name) or f"organisation-{organisation_id}"
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            suffix = f"-{number}"
            candidate = base[:SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
        taken.add(candidate)
        bind.execute(sa.text("UPDATE organisations SET slug = :slug WHERE id = :id"),
                     {"slug": candidate, "id": organisation_id})


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=SLUG_LENGTH), nullable=True))
        batch_op.add_column(sa.Column('primary_language', sa.String(length=16), server_default='en', nullable=False))
    backfill_slugs(op.get_bind())
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('slug', existing_type=sa.String(length=SLUG_LENGTH), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_organisations_slug'), ['slug'])

    op.create_table(
        'organisation_descriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_organisation_descriptions_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_descriptions')),
        sa.UniqueConstraint('organisation_id', 'language',
                            name=op.f('uq_organisation_descriptions_organisation_id_language')),
    )
    op.create_table(
        'statements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('primary_language', sa.String(length=16), nullable=False),
        sa.Column('statement_date', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN (" + ", ".join(repr(status) for status in STATEMENT_STATUSES) + ")",
                           name=op.f('ck_statements_status')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_statements_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
    )
    op.create_index('ix_statements_organisation_status_date', 'statements',
                    ['organisation_id', 'status', 'statement_date'], unique=False)
    op.create_table(
        'statement_translations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'],
                                name=op.f('fk_statement_translations_statement_id_statements'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_translations')),
        sa.UniqueConstraint('statement_id', 'language', name=op.f('uq_statement_translations_statement_id_language')),
    )


def downgrade():
    op.drop_table('statement_translations')
    op.drop_index('ix_statements_organisation_status_date', table_name='statements')
    op.drop_table('statements')
    op.drop_table('organisation_descriptions')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisations_slug'), type_='unique')
        batch_op.drop_column('primary_language')
        batch_op.drop_column('slug')

"""Sealed signer data: organisation keys, their wraps, sealing keys, sealed columns, per-petition address hashes.

- ``organisation_keys``, ``key_wraps`` and ``sealing_keys`` hold an
  organisation's public key, its passphrase-wrapped private key and the
  public halves of the processes' ephemeral sealing keys (petitions/sealing).
- ``signatures`` and ``letter_signatories`` gain ``sealing_key_id`` and
  ``sealed``; sign-ons gain ``mail_flag`` (the moderator's flag, kept when
  the address is sealed); signatures gain ``shown_name``, the public name in
  the form its signer chose, filled in here from the full name.
- Every ``email_hash`` of a signature or sign-on is re-keyed per petition:
  HMAC(petition key, site-wide hash), as security.petition_hash_of does, so
  no address is needed. Without HASH_KEY (the migration run outside the
  app) the hashes are left as they are and a message says so.

Revision ID: 0009_sealed_signer_data
Revises: 0008_letter_countries
Create Date: 2026-12-01 17:00:00

"""
import hashlib
import hmac
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_sealed_signer_data'
down_revision = '0008_letter_countries'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    op.create_table(
        'organisation_keys',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('fingerprint', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_organisation_keys_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_organisation_keys')),
    )
    op.create_table(
        'key_wraps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('salt', sa.LargeBinary(length=16), nullable=False),
        sa.Column('opslimit', sa.BigInteger(), nullable=False),
        sa.Column('memlimit', sa.BigInteger(), nullable=False),
        sa.Column('wrapped', sa.LargeBinary(length=72), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_key_wraps_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_key_wraps_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_key_wraps')),
    )
    with op.batch_alter_table('key_wraps') as batch_op:
        batch_op.create_index(batch_op.f('ix_key_wraps_organisation_id'), ['organisation_id'], unique=False)
    op.create_table(
        'sealing_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_sealing_keys_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sealing_keys')),
    )
    with op.batch_alter_table('sealing_keys') as batch_op:
        batch_op.create_index(batch_op.f('ix_sealing_keys_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('signatures') as batch_op:
        batch_op.add_column(sa.Column('shown_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('sealing_key_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_signatures_sealing_key_id_sealing_keys'), 'sealing_keys',
                                    ['sealing_key_id'], ['id'])
    with op.batch_alter_table('letter_signatories') as batch_op:
        batch_op.add_column(sa.Column('sealing_key_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('mail_flag', sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letter_signatories_sealing_key_id_sealing_keys'), 'sealing_keys',
                                    ['sealing_key_id'], ['id'])

    conn = op.get_bind()
    _fill_shown_names(conn)
    lookup = _lookup_key()
    if lookup is None:
        print("0009: HASH_KEY is not available (migration run outside the app): address hashes were not re-keyed "
              "per petition; run `petitions db upgrade` so duplicates keep being recognised.")
        return
    for table in ('signatures', 'letter_signatories'):
        _rehash(conn, table, lambda petition_id, old: _petition_hash(lookup, petition_id, old))


def _lookup_key():
    # The app's own derivation (security.lookup_key), frozen here as it was at this revision.
    try:
        from flask import current_app
        secret = current_app.config["HASH_KEY"]
    except (ImportError, RuntimeError, KeyError):
        return None
    return hmac.new(secret.encode(), b"petitions.lookup-hash.v1", hashlib.sha256).digest()


def _petition_hash(lookup, petition_id, address_hash):
    key = hmac.new(lookup, f"petition:{petition_id}".encode(), hashlib.sha256).digest()
    return hmac.new(key, address_hash.encode(), hashlib.sha256).hexdigest()


def _rehash(conn, table, new_hash):
    rows = conn.execute(sa.text(
        f"SELECT id, petition_id, email_hash FROM {table} WHERE email_hash IS NOT NULL")).all()
    update = sa.text(f"UPDATE {table} SET email_hash = :h WHERE id = :id")
    changes = [{"id": row.id, "h": new_hash(row.petition_id, row.email_hash)} for row in rows]
    for start in range(0, len(changes), BATCH):
        conn.execute(update, changes[start:start + BATCH])


def _initials(name):
    return " ".join(f"{part[0]}." for part in name.split() if part[:1].isalpha()) or "…"


def _fill_shown_names(conn):
    rows = conn.execute(sa.text(
        "SELECT id, full_name, public_name FROM signatures WHERE show_name = :yes AND full_name != ''"),
        {"yes": True}).all()
    update = sa.text("UPDATE signatures SET shown_name = :n WHERE id = :id")
    changes = [{"id": row.id, "n": (_initials(row.full_name) if row.public_name == "initials" else row.full_name)[:120]}
               for row in rows]
    for start in range(0, len(changes), BATCH):
        conn.execute(update, changes[start:start + BATCH])


def downgrade():
    # The site-wide hash comes back only where the address is still readable; a sealed row's
    # address (and its hash) cannot be recovered without its organisation's key.
    conn = op.get_bind()
    lookup = _lookup_key()
    if lookup is not None:
        for table in ('signatures', 'letter_signatories'):
            rows = conn.execute(sa.text(
                f"SELECT id, email FROM {table} WHERE email_hash IS NOT NULL AND email != ''")).all()
            update = sa.text(f"UPDATE {table} SET email_hash = :h WHERE id = :id")
            changes = [{"id": row.id, "h": hmac.new(lookup, unicodedata.normalize("NFC", row.email).strip().casefold()
                                                    .encode(), hashlib.sha256).hexdigest()} for row in rows]
            for start in range(0, len(changes), BATCH):
                conn.execute(update, changes[start:start + BATCH])

    with op.batch_alter_table('letter_signatories') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letter_signatories_sealing_key_id_sealing_keys'), type_='foreignkey')
        batch_op.drop_column('mail_flag')
        batch_op.drop_column('sealed')
        batch_op.drop_column('sealing_key_id')
    with op.batch_alter_table('signatures') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signatures_sealing_key_id_sealing_keys'), type_='foreignkey')
        batch_op.drop_column('sealed')
        batch_op.drop_column('sealing_key_id')
        batch_op.drop_column('shown_name')
    with op.batch_alter_table('sealing_keys') as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealing_keys_organisation_id'))
    op.drop_table('sealing_keys')
    with op.batch_alter_table('key_wraps') as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_wraps_organisation_id'))
    op.drop_table('key_wraps')
    op.drop_table('organisation_keys')

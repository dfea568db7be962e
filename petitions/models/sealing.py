"""Keys that seal signers' personal fields to their organisation (see petitions/sealing)."""
from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class OrganisationKey(db.Model):
    """An organisation's public key: its row existing means protection is on. Never removed."""

    __tablename__ = "organisation_keys"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    fingerprint: Mapped[str] = mapped_column(String(40))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self):
        return f"<OrganisationKey org={self.organisation_id} {self.fingerprint}>"


class KeyWrap(db.Model):
    """The organisation's private key, sealed under a key derived from one holder's passphrase (Argon2id).

    ``account_id`` is NULL for the operator's copy, made on the command line.
    """

    __tablename__ = "key_wraps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    opslimit: Mapped[int] = mapped_column(BigInteger)
    memlimit: Mapped[int] = mapped_column(BigInteger)
    # SecretBox nonce followed by the ciphertext of the 32-byte private key.
    wrapped: Mapped[bytes] = mapped_column(LargeBinary(72))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self):
        return f"<KeyWrap {self.id} org={self.organisation_id} account={self.account_id}>"


class SealingKey(db.Model):
    """The public half of one process's ephemeral sealing key; its private half never leaves that process."""

    __tablename__ = "sealing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self):
        return f"<SealingKey {self.id} org={self.organisation_id}>"
